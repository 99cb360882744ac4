// Geo commands (Redis 7.0's geo.c: argument order, error texts, replies): GEOADD, GEOPOS,
// GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE and the older GEORADIUS, GEORADIUSBYMEMBER and
// their _RO forms. A geo index is a sorted set whose scores are 52-bit geohashes
// (server/geohash.h), so every sorted-set command works on it too. A search reads the score
// intervals of the geohash cells that cover the area (at most nine, merged where adjacent) and
// keeps the members whose decoded position is inside it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/geohash.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

using keyspace::ScoredMember;
using keyspace::ZRangeSpec;

// The unit argument's size in meters; false after replying Redis's error.
bool ParseUnit(CommandContext& ctx, std::string_view unit, double* meters) {
  if (EqualsIgnoreCase(unit, "m")) {
    *meters = 1;
  } else if (EqualsIgnoreCase(unit, "km")) {
    *meters = 1000;
  } else if (EqualsIgnoreCase(unit, "ft")) {
    *meters = 0.3048;
  } else if (EqualsIgnoreCase(unit, "mi")) {
    *meters = 1609.34;
  } else {
    ctx.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
    return false;
  }
  return true;
}

// "longitude latitude": false after replying Redis's error (not a float, or out of range).
bool ParsePosition(CommandContext& ctx, std::string_view longitude, std::string_view latitude,
                   geo::Position* position) {
  if (!ParseDouble(longitude, &position->longitude) ||
      !ParseDouble(latitude, &position->latitude)) {
    ctx.reply.Error("ERR value is not a valid float");
    return false;
  }
  if (!geo::ValidPosition(*position)) {
    char text[128];
    std::snprintf(text, sizeof(text), "ERR invalid longitude,latitude pair %f,%f",
                  position->longitude, position->latitude);
    ctx.reply.Error(text);
    return false;
  }
  return true;
}

// "distance unit" of a radius, in meters into *meters, the unit's size into *unit.
bool ParseRadius(CommandContext& ctx, std::string_view distance, std::string_view unit,
                 double* meters, double* unit_meters) {
  double value = 0;
  if (!ParseDouble(distance, &value)) {
    ctx.reply.Error("ERR need numeric radius");
    return false;
  }
  if (value < 0) {
    ctx.reply.Error("ERR radius cannot be negative");
    return false;
  }
  if (!ParseUnit(ctx, unit, unit_meters)) return false;
  *meters = value * *unit_meters;
  return true;
}

// "width height unit" of a box.
bool ParseBox(CommandContext& ctx, const std::string_view* args, geo::Shape* shape,
              double* unit_meters) {
  double width = 0, height = 0;
  if (!ParseDouble(args[0], &width)) {
    ctx.reply.Error("ERR need numeric width");
    return false;
  }
  if (!ParseDouble(args[1], &height)) {
    ctx.reply.Error("ERR need numeric height");
    return false;
  }
  if (width < 0 || height < 0) {
    ctx.reply.Error("ERR height or width cannot be negative");
    return false;
  }
  if (!ParseUnit(ctx, args[2], unit_meters)) return false;
  shape->width = width * *unit_meters;
  shape->height = height * *unit_meters;
  return true;
}

// The positions of `members` in `key` ((*found)[i] false where a member is absent or its score
// is no geohash); WrongType through the status.
storage::Status MemberPositions(CommandContext& ctx, std::string_view key,
                                const std::vector<std::string_view>& members,
                                std::vector<geo::Position>* positions, std::vector<bool>* found) {
  std::vector<double> scores;
  storage::Status status = ctx.ks.ZSetScores(ctx.connection.db(), key, members, &scores, found);
  if (!status.ok()) return status;
  positions->assign(members.size(), geo::Position{});
  for (size_t i = 0; i < members.size(); ++i) {
    if ((*found)[i] && !geo::Decode(scores[i], &(*positions)[i])) (*found)[i] = false;
  }
  return status;
}

// The position of `member` of `key` as a search's centre; false after replying Redis's error
// (the member is absent) or a storage error.
bool CenterAtMember(CommandContext& ctx, std::string_view key, std::string_view member,
                    geo::Position* center) {
  std::vector<geo::Position> positions;
  std::vector<bool> found;
  storage::Status status = MemberPositions(ctx, key, {member}, &positions, &found);
  if (!status.ok()) {
    ReplyStorageError(ctx, status);
    return false;
  }
  if (!found[0]) {
    ctx.reply.Error("ERR could not decode requested zset member");
    return false;
  }
  *center = positions[0];
  return true;
}

// GEOPOS's and GEOHASH's reply: an array with reply_one(found, position) for each member named.
template <typename ReplyOne>
void ReplyPerMember(CommandContext& ctx, ReplyOne reply_one) {
  const std::vector<std::string_view> members(ctx.args.begin() + 2, ctx.args.end());
  std::vector<geo::Position> positions;
  std::vector<bool> found;
  storage::Status status = MemberPositions(ctx, ctx.args[1], members, &positions, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.ArrayHeader(members.size());
  for (size_t i = 0; i < members.size(); ++i) reply_one(found[i], positions[i]);
}

void ReplyCoordinate(CommandContext& ctx, double value) {
  ctx.reply.DoubleText(protocol::FormatLongDouble(value));
}

void ReplyDistance(CommandContext& ctx, double distance) {
  char text[64];
  const int n = std::snprintf(text, sizeof(text), "%.4f", distance);
  ctx.reply.Bulk(std::string_view(text, static_cast<size_t>(n)));
}

// --- GEOADD, GEOPOS, GEODIST, GEOHASH ---

// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
void GeoAddCommand(CommandContext& ctx) {
  bool nx = false, xx = false, ch = false;
  size_t i = 2;
  for (; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const size_t elements = ctx.args.size() - i;
  if (elements == 0 || elements % 3 != 0 || (nx && xx)) return ctx.reply.Error(kSyntaxError);
  std::vector<std::pair<double, std::string_view>> pairs;
  pairs.reserve(elements / 3);
  for (; i < ctx.args.size(); i += 3) {
    geo::Position position;
    if (!ParsePosition(ctx, ctx.args[i], ctx.args[i + 1], &position)) return;
    pairs.emplace_back(static_cast<double>(geo::Encode(position)), ctx.args[i + 2]);
  }
  keyspace::ZAddOptions options;
  options.condition = nx   ? keyspace::SetCondition::kIfAbsent
                      : xx ? keyspace::SetCondition::kIfPresent
                           : keyspace::SetCondition::kAlways;
  keyspace::ZAddResult result;
  storage::Status status =
      ctx.ks.ZSetAdd(ctx.connection.db(), ctx.args[1], pairs, options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (result.added + result.updated > 0) Notify(ctx, kNotifyZset, "zadd", ctx.args[1]);
  ctx.reply.Integer(ch ? result.added + result.updated : result.added);
}

// GEOPOS key [member ...]: [longitude, latitude] per member, a null array where absent.
void GeoPosCommand(CommandContext& ctx) {
  ReplyPerMember(ctx, [&ctx](bool found, const geo::Position& position) {
    if (!found) return ctx.reply.NullArray();
    ctx.reply.ArrayHeader(2);
    ReplyCoordinate(ctx, position.longitude);
    ReplyCoordinate(ctx, position.latitude);
  });
}

// GEODIST key member1 member2 [M | KM | FT | MI]
void GeoDistCommand(CommandContext& ctx) {
  double unit = 1;
  if (ctx.args.size() > 5) return ctx.reply.Error(kSyntaxError);
  if (ctx.args.size() == 5 && !ParseUnit(ctx, ctx.args[4], &unit)) return;
  std::vector<geo::Position> positions;
  std::vector<bool> found;
  storage::Status status =
      MemberPositions(ctx, ctx.args[1], {ctx.args[2], ctx.args[3]}, &positions, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!found[0] || !found[1]) return ctx.reply.NullBulk();
  ReplyDistance(ctx, geo::Distance(positions[0], positions[1]) / unit);
}

// GEOHASH key [member ...]: the standard 11-character geohash per member, nil where absent.
void GeoHashCommand(CommandContext& ctx) {
  ReplyPerMember(ctx, [&ctx](bool found, const geo::Position& position) {
    if (!found) return ctx.reply.NullBulk();
    ctx.reply.Bulk(geo::StandardGeohash(position));
  });
}

// --- searches ---

enum SearchForm : uint32_t {
  kByCoordinates = 1 << 0,  // GEORADIUS key longitude latitude radius unit ...
  kByMember = 1 << 1,       // GEORADIUSBYMEMBER key member radius unit ...
  kSearch = 1 << 2,         // GEOSEARCH key FROMMEMBER ... | FROMLONLAT ... BYRADIUS | BYBOX
  kSearchStore = 1 << 3,    // GEOSEARCHSTORE destination source ...
  kNoStore = 1 << 4,        // the _RO forms: no STORE / STOREDIST
};

struct Found {
  std::string member;
  double score = 0;
  double distance = 0;  // meters from the centre
  geo::Position position;
};

// The members of `key` inside `shape`, in score order within each covering interval; stops
// after `limit` (0: all).
storage::Status FindWithin(CommandContext& ctx, std::string_view key, const geo::Shape& shape,
                           size_t limit, std::vector<Found>* out) {
  for (const geo::ScoreInterval& interval : geo::Cover(shape)) {
    ZRangeSpec spec;
    spec.by = ZRangeSpec::By::kScore;
    spec.score_min = {static_cast<double>(interval.min), false};
    spec.score_max = {static_cast<double>(interval.max), true};
    std::vector<ScoredMember> members;
    storage::Status status = ctx.ks.ZSetRange(ctx.connection.db(), key, spec, &members);
    if (!status.ok()) return status;
    for (ScoredMember& m : members) {
      Found found;
      double distance = 0;
      if (!geo::Decode(m.score, &found.position) ||
          !geo::Within(shape, found.position, &distance)) {
        continue;
      }
      found.member = std::move(m.member);
      found.score = m.score;
      found.distance = distance;
      out->push_back(std::move(found));
      if (limit != 0 && out->size() >= limit) return status;
    }
  }
  return storage::Status::Ok();
}

// Redis's georadiusGeneric: every search command. `source` is the argument index of the key
// searched.
void SearchGeneric(CommandContext& ctx, size_t source, uint32_t form) {
  const int db = ctx.connection.db();
  const std::string_view key = ctx.args[source];
  int64_t size = 0;
  storage::Status status = ctx.ks.ZSetCard(db, key, &size);  // WrongType first, as Redis
  if (!status.ok()) return ReplyStorageError(ctx, status);
  const bool exists = size > 0;

  geo::Shape shape;
  double unit = 1;
  size_t base = 0;
  const std::string_view* store = nullptr;
  bool store_distance = false;
  if (form & kByCoordinates) {
    base = 6;
    if (!ParsePosition(ctx, ctx.args[2], ctx.args[3], &shape.center)) return;
    if (!ParseRadius(ctx, ctx.args[4], ctx.args[5], &shape.radius, &unit)) return;
  } else if (form & kByMember) {
    base = 5;
    if (exists) {
      if (!CenterAtMember(ctx, key, ctx.args[2], &shape.center)) return;
      if (!ParseRadius(ctx, ctx.args[3], ctx.args[4], &shape.radius, &unit)) return;
    }
  } else {
    base = source + 1;
    if (form & kSearchStore) store = &ctx.args[1];
  }

  bool with_distance = false, with_hash = false, with_coordinates = false, any = false;
  bool from_member = false, from_position = false, by_radius = false, by_box = false;
  enum class Sort { kNone, kAscending, kDescending } sort = Sort::kNone;
  int64_t count = 0;
  const bool search = (form & kSearch) != 0;
  const bool may_store = !(form & kNoStore) && !search;
  for (size_t i = base; i < ctx.args.size(); ++i) {
    const std::string_view arg = ctx.args[i];
    const size_t remaining = ctx.args.size() - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(arg, "withdist")) {
      with_distance = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      with_hash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      with_coordinates = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      sort = Sort::kAscending;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      sort = Sort::kDescending;
    } else if (EqualsIgnoreCase(arg, "count") && remaining >= 1) {
      if (!ParseInt64(ctx.args[i + 1], &count)) return ctx.reply.Error(kNotIntegerError);
      if (count <= 0) return ctx.reply.Error("ERR COUNT must be > 0");
      ++i;
    } else if (EqualsIgnoreCase(arg, "store") && remaining >= 1 && may_store) {
      store = &ctx.args[++i];
      store_distance = false;
    } else if (EqualsIgnoreCase(arg, "storedist") && remaining >= 1 && may_store) {
      store = &ctx.args[++i];
      store_distance = true;
    } else if (EqualsIgnoreCase(arg, "storedist") && (form & kSearchStore)) {
      store_distance = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && remaining >= 1 && search && !from_position) {
      if (exists && !CenterAtMember(ctx, key, ctx.args[i + 1], &shape.center)) return;
      from_member = true;
      ++i;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && remaining >= 2 && search && !from_member) {
      if (!ParsePosition(ctx, ctx.args[i + 1], ctx.args[i + 2], &shape.center)) return;
      from_position = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && remaining >= 2 && search && !by_box) {
      if (!ParseRadius(ctx, ctx.args[i + 1], ctx.args[i + 2], &shape.radius, &unit)) return;
      shape.box = false;
      by_radius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && remaining >= 3 && search && !by_radius) {
      if (!ParseBox(ctx, &ctx.args[i + 1], &shape, &unit)) return;
      shape.box = true;
      by_box = true;
      i += 3;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }

  if (store != nullptr && (with_distance || with_hash || with_coordinates)) {
    return ctx.reply.Error(
        std::string("ERR ") +
        ((form & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
        " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
  }
  if (search && !from_member && !from_position) {
    return ctx.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                           std::string(ctx.args[0]));
  }
  if (search && !by_radius && !by_box) {
    return ctx.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                           std::string(ctx.args[0]));
  }
  if (any && count == 0) return ctx.reply.Error("ERR the ANY argument requires COUNT argument");

  if (!exists) {
    if (store != nullptr) return StoreZSetAndReply(ctx, *store, {}, "del");
    return ctx.reply.ArrayHeader(0);
  }
  // COUNT without an order means the nearest ones (but ANY takes the first found).
  if (count != 0 && sort == Sort::kNone && !any) sort = Sort::kAscending;

  std::vector<Found> found;
  status = FindWithin(ctx, key, shape, any ? static_cast<size_t>(count) : 0, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  const size_t returned =
      count == 0 ? found.size() : std::min(found.size(), static_cast<size_t>(count));
  if (sort != Sort::kNone) {
    const auto by_distance = [sort](const Found& a, const Found& b) {
      return sort == Sort::kAscending ? a.distance < b.distance : a.distance > b.distance;
    };
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(returned),
                      found.end(), by_distance);
  }
  found.resize(returned);

  if (store != nullptr) {
    std::vector<ScoredMember> members;
    members.reserve(found.size());
    for (Found& f : found) {
      members.push_back({std::move(f.member), store_distance ? f.distance / unit : f.score});
    }
    return StoreZSetAndReply(ctx, *store, members, search ? "geosearchstore" : "georadiusstore");
  }
  const size_t options = with_distance + with_hash + with_coordinates;
  ctx.reply.ArrayHeader(found.size());
  for (const Found& f : found) {
    if (options == 0) {
      ctx.reply.Bulk(f.member);
      continue;
    }
    ctx.reply.ArrayHeader(options + 1);
    ctx.reply.Bulk(f.member);
    if (with_distance) ReplyDistance(ctx, f.distance / unit);
    if (with_hash) ctx.reply.Integer(static_cast<int64_t>(f.score));
    if (with_coordinates) {
      ctx.reply.ArrayHeader(2);
      ReplyCoordinate(ctx, f.position.longitude);
      ReplyCoordinate(ctx, f.position.latitude);
    }
  }
}

void GeoRadiusCommand(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoordinates); }
void GeoRadiusRoCommand(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoordinates | kNoStore); }
void GeoRadiusByMemberCommand(CommandContext& ctx) { SearchGeneric(ctx, 1, kByMember); }
void GeoRadiusByMemberRoCommand(CommandContext& ctx) {
  SearchGeneric(ctx, 1, kByMember | kNoStore);
}
void GeoSearchCommand(CommandContext& ctx) { SearchGeneric(ctx, 1, kSearch); }
void GeoSearchStoreCommand(CommandContext& ctx) { SearchGeneric(ctx, 2, kSearch | kSearchStore); }

// KeysFunction of GEORADIUS and GEORADIUSBYMEMBER: the key after STORE or STOREDIST, looked for
// from argument `kFirstOption` on.
template <size_t kFirstOption>
void KeysOfStore(const std::vector<std::string_view>& args, std::vector<std::string_view>* keys) {
  for (size_t i = kFirstOption; i + 1 < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist")) {
      keys->push_back(args[i + 1]);
      return;
    }
  }
}

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kWrite = kCmdWrite;

const CommandSpec kGeoCommands[] = {
    {"geoadd", -5, kWrite | kCmdDenyOom, 1, 1, 1, GeoAddCommand, "geo", "3.2.0",
     "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
     "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]"},
    {"geopos", -2, kRead, 1, 1, 1, GeoPosCommand, "geo", "3.2.0",
     "Returns the longitude and latitude of members from a geospatial index.",
     "key [member [member ...]]"},
    {"geodist", -4, kRead, 1, 1, 1, GeoDistCommand, "geo", "3.2.0",
     "Returns the distance between two members of a geospatial index.",
     "key member1 member2 [M | KM | FT | MI]"},
    {"geohash", -2, kRead, 1, 1, 1, GeoHashCommand, "geo", "3.2.0",
     "Returns members from a geospatial index as geohash strings.", "key [member [member ...]]"},
    {"georadius", -6, kWrite | kCmdDenyOom, 1, 1, 1, GeoRadiusCommand, "geo", "3.2.0",
     "Queries a geospatial index for members within a distance from a coordinate, optionally "
     "stores the result.",
     "key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT "
     "count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
     KeysOfStore<6>},
    {"georadius_ro", -6, kRead, 1, 1, 1, GeoRadiusRoCommand, "geo", "3.2.10",
     "Returns members from a geospatial index that are within a distance from a coordinate.",
     "key longitude latitude radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT "
     "count [ANY]] [ASC | DESC]"},
    {"georadiusbymember", -5, kWrite | kCmdDenyOom, 1, 1, 1, GeoRadiusByMemberCommand, "geo",
     "3.2.0",
     "Queries a geospatial index for members within a distance from a member, optionally stores "
     "the result.",
     "key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] "
     "[ASC | DESC] [STORE key | STOREDIST key]",
     KeysOfStore<5>},
    {"georadiusbymember_ro", -5, kRead, 1, 1, 1, GeoRadiusByMemberRoCommand, "geo", "3.2.10",
     "Returns members from a geospatial index that are within a distance from a member.",
     "key member radius M | KM | FT | MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] "
     "[ASC | DESC]"},
    {"geosearch", -7, kRead, 1, 1, 1, GeoSearchCommand, "geo", "6.2.0",
     "Queries a geospatial index for members inside an area of a box or a circle.",
     "key FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | KM | FT | MI | "
     "BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] "
     "[WITHDIST] [WITHHASH]"},
    {"geosearchstore", -8, kWrite | kCmdDenyOom, 1, 2, 1, GeoSearchStoreCommand, "geo", "6.2.0",
     "Queries a geospatial index for members inside an area of a box or a circle, optionally "
     "stores the result.",
     "destination source FROMMEMBER member | FROMLONLAT longitude latitude BYRADIUS radius M | "
     "KM | FT | MI | BYBOX width height M | KM | FT | MI [ASC | DESC] [COUNT count [ANY]] "
     "[STOREDIST]"},
};

}  // namespace

void RegisterGeoCommands(CommandTable& table) {
  table.Register(kGeoCommands, std::size(kGeoCommands));
}

}  // namespace shale::server
