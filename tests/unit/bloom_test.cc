// Bloom filter (storage/bloom.h): no false negatives, a false-positive rate close to theory,
// and damaged filters that never hide a key.
#include "storage/bloom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace shale::storage {
namespace {

std::string Key(const char* prefix, int i) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%08d", prefix, i);
  return buf;
}

TEST(BloomTest, ProbeCount) {
  EXPECT_EQ(BloomFilterBuilder(10).num_probes(), 7);
  EXPECT_EQ(BloomFilterBuilder(1).num_probes(), 1);
  EXPECT_EQ(BloomFilterBuilder(100).num_probes(), kMaxBloomProbes);
}

TEST(BloomTest, EmptyFilterMatchesNothing) {
  BloomFilterBuilder builder(10);
  const std::string filter = builder.Finish();
  EXPECT_EQ(filter.size(), 8u + 1u);  // 64 bits at least, then k
  EXPECT_FALSE(BloomFilterMayContain(filter, "a"));
  EXPECT_FALSE(BloomFilterMayContain(filter, ""));
}

TEST(BloomTest, NoFalseNegativesAndRateNearTheory) {
  constexpr int kKeys = 100000;
  constexpr int kBitsPerKey = 10;
  BloomFilterBuilder builder(kBitsPerKey);
  for (int i = 0; i < kKeys; ++i) builder.AddKey(Key("present:", i));
  EXPECT_EQ(builder.num_keys(), static_cast<size_t>(kKeys));
  const std::string filter = builder.Finish();
  EXPECT_EQ(filter.size(), kKeys * kBitsPerKey / 8 + 1u);

  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(BloomFilterMayContain(filter, Key("present:", i))) << i;
  }
  int false_positives = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (BloomFilterMayContain(filter, Key("absent:", i))) ++false_positives;
  }
  const double measured = static_cast<double>(false_positives) / kKeys;
  const double k = builder.num_probes();
  const double m = (filter.size() - 1) * 8.0;
  const double theory = std::pow(1.0 - std::exp(-k * kKeys / m), k);
  EXPECT_LE(measured, 2 * theory) << "measured " << measured << " theory " << theory;
  EXPECT_GE(measured, theory / 2) << "measured " << measured << " theory " << theory;
  EXPECT_LT(measured, 0.0125);  // "about 1%"
}

TEST(BloomTest, SmallSetsStillWork) {
  for (const int n : {1, 2, 5, 10, 100}) {
    BloomFilterBuilder builder(10);
    for (int i = 0; i < n; ++i) builder.AddKey(Key("k", i));
    const std::string filter = builder.Finish();
    for (int i = 0; i < n; ++i) EXPECT_TRUE(BloomFilterMayContain(filter, Key("k", i)));
    int false_positives = 0;
    for (int i = 0; i < 1000; ++i) false_positives += BloomFilterMayContain(filter, Key("x", i));
    EXPECT_LT(false_positives, 100) << n;
  }
}

TEST(BloomTest, RepeatedKeysCountOnce) {
  BloomFilterBuilder builder(10);
  for (int version = 0; version < 5; ++version) builder.AddKey("same-key");
  builder.AddKey("other");
  EXPECT_EQ(builder.num_keys(), 2u);
}

TEST(BloomTest, DeterministicAcrossBuilds) {
  BloomFilterBuilder a(10), b(10);
  for (int i = 0; i < 1000; ++i) {
    a.AddKey(Key("k", i));
    b.AddKey(Key("k", i));
  }
  EXPECT_EQ(a.Finish(), b.Finish());
  EXPECT_EQ(BloomHash("abc"), BloomHash("abc"));
  EXPECT_NE(BloomHash("abc"), BloomHash("abd"));
}

TEST(BloomTest, UninterpretableFilterMatchesEverything) {
  EXPECT_TRUE(BloomFilterMayContain("", "a"));
  EXPECT_TRUE(BloomFilterMayContain("\x07", "a"));
  std::string zero_probes(9, '\0');
  EXPECT_TRUE(BloomFilterMayContain(zero_probes, "a"));
  std::string too_many(8, '\0');
  too_many.push_back(static_cast<char>(kMaxBloomProbes + 1));
  EXPECT_TRUE(BloomFilterMayContain(too_many, "a"));
}

}  // namespace
}  // namespace shale::storage
