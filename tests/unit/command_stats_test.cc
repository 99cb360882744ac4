// The per-command latency histogram (bucket bounds, percentiles) and the error prefixes of
// errorstats.
#include "server/command_stats.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "server/command_table.h"

namespace shale::server {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  for (uint64_t v = 0; v < LatencyHistogram::kSubBuckets; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketUpperBound(LatencyHistogram::BucketOf(v)), v);
  }
}

TEST(LatencyHistogramTest, BucketsCoverEveryValueWithBoundedError) {
  const uint64_t values[] = {
      16,        17, 31, 32, 1000, 12345, 999999, uint64_t{1} << 40, (uint64_t{1} << 63) + 12345,
      UINT64_MAX};
  for (uint64_t v : values) {
    const int bucket = LatencyHistogram::BucketOf(v);
    ASSERT_GE(bucket, 0);
    ASSERT_LT(bucket, LatencyHistogram::kBuckets);
    const uint64_t upper = LatencyHistogram::BucketUpperBound(bucket);
    EXPECT_GE(upper, v);
    // Less than 1/16 over.
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 16) << v;
    if (bucket > 0) {
      EXPECT_LT(LatencyHistogram::BucketUpperBound(bucket - 1), v) << v;
    }
  }
}

TEST(LatencyHistogramTest, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.PercentileNanos(50), 0U);
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);
  EXPECT_EQ(h.count(), 1000U);
  const auto near = [](uint64_t got, uint64_t want) {
    return got >= want && static_cast<double>(got - want) <= static_cast<double>(want) / 16;
  };
  EXPECT_TRUE(near(h.PercentileNanos(50), 500000)) << h.PercentileNanos(50);
  EXPECT_TRUE(near(h.PercentileNanos(99), 990000)) << h.PercentileNanos(99);
  EXPECT_TRUE(near(h.PercentileNanos(99.9), 999000)) << h.PercentileNanos(99.9);
  EXPECT_TRUE(near(h.PercentileNanos(100), 1000000)) << h.PercentileNanos(100);
}

TEST(CommandStatsTest, SlotsOfCommandsAndSubcommands) {
  CommandTable table;
  CommandStats stats(table);
  const CommandSpec* get = table.Find("get");
  const CommandSpec* config = table.Find("config");
  ASSERT_NE(get, nullptr);
  ASSERT_NE(config, nullptr);
  std::string_view get_args[] = {"GET", "k"};
  std::string_view config_args[] = {"CONFIG", "GeT", "*"};
  std::string_view unknown_sub[] = {"CONFIG", "nosuch"};
  stats.RecordCall(stats.SlotOf(*get, 2, get_args), 1500, false);
  stats.RecordCall(stats.SlotOf(*config, 3, config_args), 2500, true);
  stats.RecordRejected(stats.SlotOf(*config, 2, unknown_sub));
  const auto sorted = stats.Sorted();
  ASSERT_EQ(sorted.size(), 3U);
  EXPECT_EQ(sorted[0].name, "config");
  EXPECT_EQ(sorted[0].counters->rejected_calls, 1U);
  EXPECT_EQ(sorted[1].name, "config|get");
  EXPECT_EQ(sorted[1].counters->calls, 1U);
  EXPECT_EQ(sorted[1].counters->failed_calls, 1U);
  EXPECT_EQ(sorted[2].name, "get");
  EXPECT_EQ(sorted[2].counters->nanos, 1500U);
  stats.Reset();
  EXPECT_TRUE(stats.Sorted().empty());
}

TEST(CommandStatsTest, ErrorPrefixes) {
  CommandTable table;
  CommandStats stats(table);
  stats.RecordError("ERR syntax error");
  stats.RecordError("WRONGTYPE Operation against a key holding the wrong kind of value");
  stats.RecordError("ERR unknown command");
  stats.RecordError("NOSPACE");
  EXPECT_EQ(stats.errors().at("ERR"), 2U);
  EXPECT_EQ(stats.errors().at("WRONGTYPE"), 1U);
  EXPECT_EQ(stats.errors().at("NOSPACE"), 1U);
  for (int i = 0; i < 200; ++i) stats.RecordError("E" + std::to_string(i) + " x");
  EXPECT_EQ(stats.errors().size(), 128U);
}

}  // namespace
}  // namespace shale::server
