#include "server/geohash.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <numbers>

namespace shale::server::geo {

namespace {

constexpr double kLongitudeScale = kLongitudeMax - kLongitudeMin;
constexpr double kLatitudeScale = kLatitudeMax - kLatitudeMin;
constexpr double kTwo52 = 4503599627370496.0;  // 2^52

double DegreesToRadians(double degrees) { return degrees * (std::numbers::pi / 180.0); }
double RadiansToDegrees(double radians) { return radians / (std::numbers::pi / 180.0); }

// The bits of `x` in the even positions of the result, `y`'s in the odd ones.
uint64_t Interleave(uint32_t x, uint32_t y) {
  uint64_t result = 0;
  for (int i = 0; i < 32; ++i) {
    result |= static_cast<uint64_t>((x >> i) & 1) << (2 * i);
    result |= static_cast<uint64_t>((y >> i) & 1) << (2 * i + 1);
  }
  return result;
}

// Interleave's inverse: the even bits into *x, the odd ones into *y.
void Deinterleave(uint64_t bits, uint32_t* x, uint32_t* y) {
  *x = *y = 0;
  for (int i = 0; i < 32; ++i) {
    *x |= static_cast<uint32_t>((bits >> (2 * i)) & 1) << i;
    *y |= static_cast<uint32_t>((bits >> (2 * i + 1)) & 1) << i;
  }
}

// The cell index of `value` in a range split into 2^step cells (truncated, as Redis's casts do).
uint32_t CellOf(double value, double min, double scale, int step) {
  const double offset = (value - min) / scale * static_cast<double>(uint64_t{1} << step);
  return offset <= 0 ? 0 : static_cast<uint32_t>(offset);
}

uint64_t EncodeIn(const Position& p, double lat_min, double lat_scale) {
  return Interleave(CellOf(p.latitude, lat_min, lat_scale, kStepMax),
                    CellOf(p.longitude, kLongitudeMin, kLongitudeScale, kStepMax));
}

// Distance in meters between two latitudes along a meridian.
double LatitudeDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegreesToRadians(lat2) - DegreesToRadians(lat1));
}

}  // namespace

bool ValidPosition(const Position& p) {
  return p.longitude >= kLongitudeMin && p.longitude <= kLongitudeMax &&
         p.latitude >= kLatitudeMin && p.latitude <= kLatitudeMax;
}

uint64_t Encode(const Position& position) {
  return EncodeIn(position, kLatitudeMin, kLatitudeScale);
}

bool Decode(double score, Position* position) {
  if (!(score >= 0 && score < kTwo52 * 4)) return false;  // a fraction is cut off, as in Redis
  uint32_t lat = 0, lon = 0;
  Deinterleave(static_cast<uint64_t>(score), &lat, &lon);
  const double cells = static_cast<double>(uint64_t{1} << kStepMax);
  const double lat_min = kLatitudeMin + lat / cells * kLatitudeScale;
  const double lat_max = kLatitudeMin + (lat + 1.0) / cells * kLatitudeScale;
  const double lon_min = kLongitudeMin + lon / cells * kLongitudeScale;
  const double lon_max = kLongitudeMin + (lon + 1.0) / cells * kLongitudeScale;
  position->longitude = std::clamp((lon_min + lon_max) / 2, kLongitudeMin, kLongitudeMax);
  position->latitude = std::clamp((lat_min + lat_max) / 2, kLatitudeMin, kLatitudeMax);
  return true;
}

std::string StandardGeohash(const Position& position) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  const uint64_t bits = EncodeIn(position, -90, 180);
  std::string hash(11, '0');
  for (int i = 0; i < 10; ++i) hash[i] = kAlphabet[(bits >> (52 - (i + 1) * 5)) & 0x1f];
  return hash;  // 52 bits make 10 characters and 2 bits; the 11th is '0', as in Redis
}

double Distance(const Position& a, const Position& b) {
  const double lon1 = DegreesToRadians(a.longitude), lon2 = DegreesToRadians(b.longitude);
  const double v = std::sin((lon2 - lon1) / 2);
  if (v == 0.0) return LatitudeDistance(a.latitude, b.latitude);
  const double lat1 = DegreesToRadians(a.latitude), lat2 = DegreesToRadians(b.latitude);
  const double u = std::sin((lat2 - lat1) / 2);
  const double h = u * u + std::cos(lat1) * std::cos(lat2) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(h));
}

bool Within(const Shape& shape, const Position& point, double* distance) {
  if (!shape.box) {
    *distance = Distance(shape.center, point);
    return *distance <= shape.radius;
  }
  if (LatitudeDistance(point.latitude, shape.center.latitude) > shape.height / 2) return false;
  const Position along{shape.center.longitude, point.latitude};
  if (Distance(point, along) > shape.width / 2) return false;
  *distance = Distance(shape.center, point);
  return true;
}

namespace {

// A geohash cell of `step` bits per coordinate: latitude index `lat`, longitude index `lon`.
struct Cell {
  int step = 0;
  int64_t lat = 0, lon = 0;
  bool used = true;  // false: excluded from the search
};

// The cell at `step` that holds `p`.
Cell CellAt(const Position& p, int step) {
  return {step, CellOf(p.latitude, kLatitudeMin, kLatitudeScale, step),
          CellOf(p.longitude, kLongitudeMin, kLongitudeScale, step)};
}

// The neighbour `dlat` rows north and `dlon` columns east; both coordinates wrap around (as
// Redis's geohash_move_x/y do).
Cell Move(Cell cell, int dlat, int dlon) {
  const int64_t cells = int64_t{1} << cell.step;
  cell.lat = ((cell.lat + dlat) % cells + cells) % cells;
  cell.lon = ((cell.lon + dlon) % cells + cells) % cells;
  return cell;
}

struct Area {
  double lat_min, lat_max, lon_min, lon_max;
};

Area AreaOf(const Cell& cell) {
  const double cells = static_cast<double>(uint64_t{1} << cell.step);
  return {kLatitudeMin + static_cast<double>(cell.lat) / cells * kLatitudeScale,
          kLatitudeMin + static_cast<double>(cell.lat + 1) / cells * kLatitudeScale,
          kLongitudeMin + static_cast<double>(cell.lon) / cells * kLongitudeScale,
          kLongitudeMin + static_cast<double>(cell.lon + 1) / cells * kLongitudeScale};
}

ScoreInterval IntervalOf(const Cell& cell) {
  const uint64_t bits =
      Interleave(static_cast<uint32_t>(cell.lat), static_cast<uint32_t>(cell.lon));
  const int shift = 52 - 2 * cell.step;
  return {bits << shift, (bits + 1) << shift};
}

// Redis's geohashEstimateStepsByRadius: the precision whose cells are about the search's size.
int EstimateStep(double radius_meters, double latitude) {
  constexpr double kMercatorMax = 20037726.37;
  if (radius_meters == 0) return kStepMax;
  int step = 1;
  while (radius_meters < kMercatorMax) {
    radius_meters *= 2;
    ++step;
  }
  step -= 2;
  if (latitude > 66 || latitude < -66) {
    --step;
    if (latitude > 80 || latitude < -80) --step;
  }
  return std::clamp(step, 1, kStepMax);
}

}  // namespace

std::vector<ScoreInterval> Cover(const Shape& shape) {
  // The search's bounding box in degrees (Redis's geohashBoundingBox: the parallels' lengths at
  // the box's top and bottom decide its width, on the side away from the equator).
  const Position& c = shape.center;
  const double half_height = shape.box ? shape.height / 2 : shape.radius;
  const double half_width = shape.box ? shape.width / 2 : shape.radius;
  const double lat_delta = RadiansToDegrees(half_height / kEarthRadiusMeters);
  const double lon_delta_top = RadiansToDegrees(half_width / kEarthRadiusMeters /
                                                std::cos(DegreesToRadians(c.latitude + lat_delta)));
  const double lon_delta_bottom = RadiansToDegrees(
      half_width / kEarthRadiusMeters / std::cos(DegreesToRadians(c.latitude - lat_delta)));
  const double lon_delta = c.latitude < 0 ? lon_delta_bottom : lon_delta_top;
  const double min_lon = c.longitude - lon_delta, max_lon = c.longitude + lon_delta;
  const double min_lat = c.latitude - lat_delta, max_lat = c.latitude + lat_delta;

  // The centre's cell at the estimated precision, one step coarser when a side neighbour does
  // not reach the box's edge.
  const double radius =
      shape.box ? std::sqrt(shape.width * shape.width / 4 + shape.height * shape.height / 4)
                : shape.radius;
  int step = EstimateStep(radius, c.latitude);
  if (step > 1) {
    const Cell centre = CellAt(c, step);
    if (AreaOf(Move(centre, 1, 0)).lat_max < max_lat ||
        AreaOf(Move(centre, -1, 0)).lat_min > min_lat ||
        AreaOf(Move(centre, 0, 1)).lon_max < max_lon ||
        AreaOf(Move(centre, 0, -1)).lon_min > min_lon) {
      --step;
    }
  }
  const Cell centre = CellAt(c, step);
  // Redis's order: the centre, north, south, east, west, north-east, north-west, south-east,
  // south-west. It decides which members ANY finds first and the order of unsorted replies.
  Cell cells[9] = {centre,
                   Move(centre, 1, 0),
                   Move(centre, -1, 0),
                   Move(centre, 0, 1),
                   Move(centre, 0, -1),
                   Move(centre, 1, 1),
                   Move(centre, 1, -1),
                   Move(centre, -1, 1),
                   Move(centre, -1, -1)};
  if (step >= 2) {  // the neighbours beyond a side the box does not cross are of no use
    const Area area = AreaOf(centre);
    const auto drop = [&cells](std::initializer_list<int> which) {
      for (int i : which) cells[i].used = false;
    };
    if (area.lat_min < min_lat) drop({2, 7, 8});
    if (area.lat_max > max_lat) drop({1, 5, 6});
    if (area.lon_min < min_lon) drop({4, 6, 8});
    if (area.lon_max > max_lon) drop({3, 5, 7});
  }
  std::vector<ScoreInterval> intervals;
  const int64_t last = (int64_t{1} << step) - 1;
  std::vector<Cell> edges;
  const Cell* previous = nullptr;
  for (const Cell& cell : cells) {
    if (!cell.used) continue;
    // With a huge radius neighbours can be the same cell: skip a repeat of the one before.
    if (previous != nullptr && previous->lat == cell.lat && previous->lon == cell.lon) continue;
    previous = &cell;
    intervals.push_back(IntervalOf(cell));
    // Longitude 180 and latitude 85.05112878 themselves encode as the cell one past the last
    // column or row: searched after the rest, with the last column or row's cells.
    const bool east_edge = cell.lon == last || cell.lon == 0, north_edge = cell.lat == last;
    if (east_edge) edges.push_back({step, cell.lat, last + 1});
    if (north_edge) edges.push_back({step, last + 1, cell.lon});
    if (east_edge && north_edge) edges.push_back({step, last + 1, last + 1});
  }
  for (const Cell& edge : edges) {
    const ScoreInterval interval = IntervalOf(edge);
    if (std::none_of(intervals.begin(), intervals.end(), [&](const ScoreInterval& i) {
          return i.min == interval.min && i.max == interval.max;
        })) {
      intervals.push_back(interval);
    }
  }
  return intervals;
}

}  // namespace shale::server::geo
