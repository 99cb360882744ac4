// The geohash arithmetic behind the geo commands, checked against positions whose scores,
// geohashes and distances Redis's documentation gives (Palermo and Catania), and the cover of a
// search area against a scan of every point of a grid.
#include "server/geohash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

namespace shale::server::geo {
namespace {

constexpr Position kPalermo{13.361389, 38.115556};
constexpr Position kCatania{15.087269, 37.502669};

TEST(GeohashTest, EncodesAsRedisDoes) {
  EXPECT_EQ(Encode(kPalermo), 3479099956230698u);
  EXPECT_EQ(Encode(kCatania), 3479447370796909u);
  EXPECT_TRUE(ValidPosition({180, 85.05112878}));
  EXPECT_TRUE(ValidPosition({-180, -85.05112878}));
  EXPECT_FALSE(ValidPosition({180.000001, 0}));
  EXPECT_FALSE(ValidPosition({0, 85.06}));
}

TEST(GeohashTest, DecodesToTheCellCentre) {
  Position p;
  ASSERT_TRUE(Decode(3479099956230698.0, &p));
  EXPECT_NEAR(p.longitude, 13.36138933897018433, 1e-12);
  EXPECT_NEAR(p.latitude, 38.11555639549629859, 1e-12);
  EXPECT_FALSE(Decode(-1, &p));
  EXPECT_FALSE(Decode(std::ldexp(1.0, 54), &p));
  // The edges themselves encode one cell past the last (as in Redis) and decode to the edge.
  ASSERT_TRUE(Decode(static_cast<double>(Encode({180, 85.05112878})), &p));
  EXPECT_EQ(p.longitude, 180);
  EXPECT_EQ(p.latitude, 85.05112878);
  // Every valid position decodes to within one cell of where it was.
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> lon(kLongitudeMin, kLongitudeMax);
  std::uniform_real_distribution<double> lat(kLatitudeMin, kLatitudeMax);
  for (int i = 0; i < 1000; ++i) {
    const Position original{lon(random), lat(random)};
    ASSERT_TRUE(Decode(static_cast<double>(Encode(original)), &p));
    EXPECT_NEAR(p.longitude, original.longitude, 360.0 / (1 << 26));
    EXPECT_NEAR(p.latitude, original.latitude, 171.0 / (1 << 26));
    EXPECT_EQ(Encode(p), Encode(original)) << "the centre is in the same cell";
  }
}

TEST(GeohashTest, StandardGeohash) {
  Position p;
  ASSERT_TRUE(Decode(static_cast<double>(Encode(kPalermo)), &p));
  EXPECT_EQ(StandardGeohash(p), "sqc8b49rny0");
  ASSERT_TRUE(Decode(static_cast<double>(Encode(kCatania)), &p));
  EXPECT_EQ(StandardGeohash(p), "sqdtr74hyu0");
}

TEST(GeohashTest, Distance) {
  Position palermo, catania;
  ASSERT_TRUE(Decode(static_cast<double>(Encode(kPalermo)), &palermo));
  ASSERT_TRUE(Decode(static_cast<double>(Encode(kCatania)), &catania));
  EXPECT_NEAR(Distance(palermo, catania), 166274.1516, 5e-5);
  EXPECT_EQ(Distance(palermo, palermo), 0);
  // Same longitude: the distance along the meridian.
  EXPECT_NEAR(Distance({10, 0}, {10, 1}), kEarthRadiusMeters * M_PI / 180, 1e-6);
}

TEST(GeohashTest, WithinCircleAndBox) {
  double d = 0;
  const Shape circle{{15, 37}, false, 200000, 0, 0};
  EXPECT_TRUE(Within(circle, kCatania, &d));
  EXPECT_NEAR(d, 56441.3, 1);
  EXPECT_TRUE(Within(circle, kPalermo, &d));
  EXPECT_NEAR(d, 190442.4, 1);
  const Shape small{{15, 37}, false, 100000, 0, 0};
  EXPECT_FALSE(Within(small, kPalermo, &d));
  const Shape box{{15, 37}, true, 0, 400000, 400000};
  EXPECT_TRUE(Within(box, kPalermo, &d));
  const Shape narrow{{15, 37}, true, 0, 200000, 400000};
  EXPECT_FALSE(Within(narrow, kPalermo, &d)) << "145 km west of the centre: outside 100 km";
}

// Every point of a grid that is inside the shape has a score inside one of Cover's intervals.
void ExpectCovered(const Shape& shape) {
  const auto intervals = Cover(shape);
  ASSERT_FALSE(intervals.empty());
  ASSERT_LE(intervals.size(), 9u + 5u);  // nine cells and the edges past the last
  int inside = 0;
  for (double lat = kLatitudeMin; lat <= kLatitudeMax; lat += 0.25) {
    for (double lon = kLongitudeMin; lon <= kLongitudeMax; lon += 0.25) {
      double d = 0;
      if (!Within(shape, {lon, lat}, &d)) continue;
      ++inside;
      const uint64_t score = Encode({lon, lat});
      bool covered = false;
      for (const ScoreInterval& interval : intervals) {
        covered = covered || (score >= interval.min && score < interval.max);
      }
      ASSERT_TRUE(covered) << lon << "," << lat << " inside but not covered";
    }
  }
  EXPECT_GT(inside, 0);
}

TEST(GeohashTest, CoverHoldsTheShape) {
  ExpectCovered({{15, 37}, false, 200000, 0, 0});
  ExpectCovered({{179.9, 10}, false, 300000, 0, 0});  // across the antimeridian
  ExpectCovered({
      {-179.9, -10},
      true,
      0,
      500000,
      300000,
  });
  ExpectCovered({{0, 80}, false, 900000, 0, 0});  // over the latitude limit
  ExpectCovered({{0, 84}, true, 0, 2000000, 600000});
  ExpectCovered({{100, 0}, false, 5000000, 0, 0});
  ExpectCovered({{0, 0}, false, 30000000, 0, 0});  // the whole earth
}

}  // namespace
}  // namespace shale::server::geo
