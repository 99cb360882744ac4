// The geohash arithmetic of Redis's geo commands (GEOADD, GEOSEARCH...): a position is stored as a
// sorted-set member whose score is its 52-bit geohash (26 bits of latitude in the even bit
// positions, 26 of longitude in the odd ones, both as fractions of Redis's ranges: longitude
// -180..180, latitude -85.05112878..85.05112878, the Web Mercator limits). Distances are
// haversine distances on Redis's earth radius, so results and reported distances match Redis's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shale::server::geo {

inline constexpr double kLongitudeMin = -180;
inline constexpr double kLongitudeMax = 180;
inline constexpr double kLatitudeMin = -85.05112878;
inline constexpr double kLatitudeMax = 85.05112878;
inline constexpr int kStepMax = 26;  // bits per coordinate
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct Position {
  double longitude = 0;
  double latitude = 0;
};

// Whether GEOADD accepts the position (Redis's ranges, bounds included).
bool ValidPosition(const Position& position);
// The 52-bit score of a valid position.
uint64_t Encode(const Position& position);
// The centre of the cell a score names (clamped to the ranges; a fraction is cut off, as Redis
// casts it); false for a score that no position encodes to (negative, or 2^54 and above: written
// by ZADD, not GEOADD). The edges (longitude 180, latitude 85.05112878) encode one cell past the
// last, so scores up to 2^54 decode.
bool Decode(double score, Position* position);
// GEOHASH's 11-character standard geohash (latitude -90..90) of a decoded position.
std::string StandardGeohash(const Position& position);
// The great-circle distance in meters (Redis's geohashGetDistance).
double Distance(const Position& a, const Position& b);

// A search area around `center`: a circle of `radius` meters, or a box `width` x `height`
// meters (axis-aligned: width along the parallel, height along the meridian).
struct Shape {
  Position center;
  bool box = false;
  double radius = 0;
  double width = 0, height = 0;
};
// Whether `point` is inside `shape` (Redis's rules: a circle by distance, a box by the latitude
// distance and the distance along the point's parallel); *distance is from the centre.
bool Within(const Shape& shape, const Position& point, double* distance);

// The score intervals [min, max) to read for a search of `shape`, in the order Redis reads them
// (its geohashCalculateAreasByShapeWGS84 and membersOfAllNeighbors): the geohash cell of the
// centre at a precision estimated from the shape's size and its eight neighbours, less those the
// shape's bounding box does not reach. The members found are then filtered with Within. The
// order matters: it is the order of an unsorted reply and decides what ANY finds.
struct ScoreInterval {
  uint64_t min = 0, max = 0;
};
std::vector<ScoreInterval> Cover(const Shape& shape);

}  // namespace shale::server::geo
