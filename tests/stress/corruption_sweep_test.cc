// Corruption sweep (issue S4): a stopped data directory with two shards (several tables each,
// WAL files with records, MANIFEST, CURRENT, SHARDS) is damaged one way at a time: a flipped
// byte at several offsets inside every region (WAL records; a table's data blocks, filter,
// index, properties and footer, located through its footer; manifest, CURRENT, SHARDS), a
// truncation (to 0, to half, by the last byte), a deletion, and a file replaced by another of its
// kind (a table by another table of the same shard, a WAL by another WAL). For every damaged copy:
//   (a) Db::Open refuses with a status naming the damaged file, or opens and then every key reads
//       back its exact value (or stays deleted), or fails with a non-OK, non-NotFound status;
//       never a wrong value, never NotFound for a live key, never a deleted key's old value;
//   (b) VerifyDataDirectory (what `shale-sst check DIR` runs) on the damaged copy does not say OK
//       when Open refused or a read failed;
//   (c) per file kind and mutation, the number of copies refused, served with errors and served
//       clean is printed.
//
// Environment: SHALE_STRESS_SEED (printed) picks the byte offsets inside each region;
// SHALE_STRESS_FLIPS_PER_REGION (default 3, 2 under a sanitizer) how many per region;
// SHALE_STRESS_VERBOSE=1 shows the engine's log.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/shard.h"
#include "tests/stress/stress_util.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

namespace fs = std::filesystem;
using shale::stress_util::EndsWith;
using shale::stress_util::EnvOr;
using shale::stress_util::kSanitized;
using shale::stress_util::NoSyncFileSystem;
using shale::test_util::TempDir;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const fs::path& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

enum class Outcome { kRefused, kServedWithErrors, kServedClean };

struct Result {
  Outcome outcome;
  bool flagged;  // VerifyDataDirectory did not say OK for the damaged copy
};

struct Mutation {
  std::string file;  // relative to the data directory
  std::string kind;  // WAL, SST, MANIFEST, CURRENT, SHARDS, other
  std::string name;  // e.g. "flip index", "truncate half", "swap"
  // Applied to the copy's absolute path of `file`; `dir` is the copy's root.
  std::function<void(const fs::path& dir, const fs::path& path)> apply;
};

std::string KindOf(const std::string& name) {
  if (name == "SHARDS") return "SHARDS";
  if (name == "CURRENT") return "CURRENT";
  if (name.starts_with("MANIFEST-")) return "MANIFEST";
  if (EndsWith(name, ".sst")) return "SST";
  if (EndsWith(name, ".log")) return "WAL";
  return "other";
}

class CorruptionSweep : public ::testing::Test {
 protected:
  CorruptionSweep()
      : seed_(EnvOr("SHALE_STRESS_SEED", 20261201)),
        rng_(seed_),
        flips_per_region_(EnvOr("SHALE_STRESS_FLIPS_PER_REGION", kSanitized ? 2 : 3)),
        nosync_(DefaultFileSystem()) {
    // The engine logs every damaged file it meets; SHALE_STRESS_VERBOSE=1 shows it.
    spdlog::set_level(EnvOr("SHALE_STRESS_VERBOSE", 0) != 0 ? spdlog::level::info
                                                            : spdlog::level::off);
    options_.shards = 2;
    options_.fsync = FsyncPolicy::kEverySec;
    options_.background_maintenance = false;
    options_.fs = &nosync_;
    options_.table.block_size = 1024;
    options_.compaction.min_threshold = 32;  // keep every flushed table
  }

  std::string Where() const { return " (seed " + std::to_string(seed_) + ")"; }

  static std::string Key(int i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", i);
    return key;
  }
  std::string Value(int i, int round) {
    std::string value = "value-" + Key(i) + "-" + std::to_string(round) + "-";
    value.append(std::uniform_int_distribution<int>(10, 120)(rng_),
                 static_cast<char>('a' + i % 26));
    return value;
  }

  void Put(int i, int round) {
    std::string value = Value(i, round);
    ASSERT_TRUE(test_util::PutKey(*db_, Key(i), value).ok());
    expected_[Key(i)] = value;
  }
  void Delete(int i) {
    ASSERT_TRUE(test_util::DeleteKey(*db_, Key(i)).ok());
    expected_[Key(i)] = std::nullopt;
  }

  // Three flushed rounds (three tables per shard), a fourth left in the WAL, a clean close.
  void BuildPristine() {
    options_.dir = pristine_;
    ASSERT_TRUE(Db::Open(options_, &db_).ok());
    for (int i = 0; i < 3000; ++i) Put(i, 0);
    ASSERT_TRUE(db_->FlushMemTables().ok());
    for (int i = 0; i < 1000; ++i) Put(i, 1);
    ASSERT_TRUE(db_->FlushMemTables().ok());
    for (int i = 1500; i < 2000; ++i) Put(i, 2);
    for (int i = 2000; i < 2200; ++i) Delete(i);
    ASSERT_TRUE(db_->FlushMemTables().ok());
    for (int i = 500; i < 800; ++i) Put(i, 3);
    for (int i = 3000; i < 3300; ++i) Put(i, 3);
    for (int i = 2100; i < 2150; ++i) Put(i, 3);  // deleted in a table, set again in the WAL
    for (int i = 2900; i < 2950; ++i) Delete(i);  // deleted in the WAL only
    ASSERT_TRUE(db_->Commit().ok());
    for (const ShardStats& shard : db_->Stats().shards) ASSERT_EQ(shard.tables, 3u);
    db_.reset();
  }

  // Offsets to flip inside [begin, end): its first and last byte and random ones between.
  std::vector<uint64_t> Offsets(uint64_t begin, uint64_t end, uint64_t count) {
    std::vector<uint64_t> offsets;
    if (end <= begin) return offsets;
    offsets.push_back(begin);
    if (end - begin > 1) offsets.push_back(end - 1);
    while (offsets.size() < std::max<uint64_t>(count, 2) && end - begin > 2) {
      offsets.push_back(std::uniform_int_distribution<uint64_t>(begin + 1, end - 2)(rng_));
    }
    std::sort(offsets.begin(), offsets.end());
    offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
    return offsets;
  }

  void AddFlips(const std::string& file, const std::string& kind, const std::string& region,
                uint64_t begin, uint64_t end, uint64_t count = 0) {
    for (uint64_t offset : Offsets(begin, end, count == 0 ? flips_per_region_ : count)) {
      mutations_.push_back(
          {file, kind, "flip " + region, [offset](const fs::path&, const fs::path& p) {
             std::string contents = ReadAll(p);
             contents[offset] = static_cast<char>(contents[offset] ^ 0xff);
             WriteAll(p, contents);
           }});
    }
  }

  // Every mutation of every file of the pristine directory.
  void PlanMutations() {
    std::map<std::string, std::vector<std::string>> same_kind;  // "shard dir|kind" -> files
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(pristine_)) {
      if (!entry.is_regular_file()) continue;
      files.push_back(fs::relative(entry.path(), pristine_).string());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      const std::string kind = KindOf(fs::path(file).filename().string());
      same_kind[fs::path(file).parent_path().string() + "|" + kind].push_back(file);
      same_kind["*|" + kind].push_back(file);
    }
    for (const std::string& file : files) {
      const std::string kind = KindOf(fs::path(file).filename().string());
      const std::string contents = ReadAll(fs::path(pristine_) / file);
      const uint64_t size = contents.size();
      if (kind == "SST") {
        ASSERT_GE(size, kFooterSize) << file;
        Footer footer;
        ASSERT_TRUE(footer.DecodeFrom(std::string_view(contents).substr(size - kFooterSize)).ok());
        const uint64_t data_end = footer.has_filter() ? footer.filter.offset : footer.index.offset;
        AddFlips(file, kind, "data", 0, data_end);
        if (footer.has_filter())
          AddFlips(file, kind, "filter", footer.filter.offset, footer.filter.end());
        AddFlips(file, kind, "index", footer.index.offset, footer.index.end());
        AddFlips(file, kind, "properties", footer.properties.offset, footer.properties.end());
        AddFlips(file, kind, "footer", size - kFooterSize, size);
      } else {
        AddFlips(file, kind, "bytes", 0, size, 2 * flips_per_region_);
      }
      const std::vector<std::pair<std::string, uint64_t>> cuts = {
          {"truncate 0", 0},
          {"truncate half", size / 2},
          {"truncate -1", size == 0 ? 0 : size - 1}};
      for (const auto& cut : cuts) {
        const uint64_t length = cut.second;  // a copy: clang cannot capture a structured binding
        if (length == size) continue;
        mutations_.push_back({file, kind, cut.first, [length](const fs::path&, const fs::path& p) {
                                fs::resize_file(p, length);
                              }});
      }
      mutations_.push_back(
          {file, kind, "delete", [](const fs::path&, const fs::path& p) { fs::remove(p); }});
      // Swap: a table by another table of its shard; a WAL by another WAL (its shard's, else the
      // other shard's); a manifest by the other shard's.
      if (kind == "SST" || kind == "WAL" || kind == "MANIFEST") {
        std::vector<std::string> others;
        for (const std::string& f : same_kind[fs::path(file).parent_path().string() + "|" + kind]) {
          if (f != file) others.push_back(f);
        }
        if (others.empty() && kind != "SST") {
          for (const std::string& f : same_kind["*|" + kind]) {
            if (f != file) others.push_back(f);
          }
        }
        if (!others.empty()) {
          const std::string other = others.front();
          mutations_.push_back(
              {file, kind, "swap", [other](const fs::path& dir, const fs::path& p) {
                 fs::copy_file(dir / other, p, fs::copy_options::overwrite_existing);
               }});
        }
      }
    }
  }

  // Applies one mutation to a fresh copy and checks (a) and (b).
  Result Check(const Mutation& m) {
    const fs::path copy = fs::path(work_.path()) / "copy";
    fs::remove_all(copy);
    fs::copy(pristine_, copy, fs::copy_options::recursive);
    m.apply(copy, copy / m.file);
    const std::string what = m.file + " " + m.name + Where();
    const std::string file_name = fs::path(m.file).filename().string();

    Options options = options_;
    options.dir = copy.string();
    std::vector<ShardFileFinding> findings;
    const Status verdict = VerifyDataDirectory(options, &findings);
    bool check_ok = verdict.ok() || verdict.IsNotFound();
    for (const ShardFileFinding& f : findings) check_ok &= f.status.ok();

    std::unique_ptr<Db> db;
    Status s = Db::Open(options, &db);
    if (!s.ok()) {
      EXPECT_NE(s.ToString().find(file_name), std::string::npos)
          << "Open refused " << what << " without naming the file: " << s.ToString();
      EXPECT_FALSE(check_ok) << "VerifyDataDirectory says OK for " << what
                             << " which Open refuses: " << s.ToString();
      return {Outcome::kRefused, !check_ok};
    }
    uint64_t errors = 0;
    for (const auto& [key, want] : expected_) {
      std::string value;
      Status g = db->Get(key, &value);
      if (g.ok()) {
        EXPECT_TRUE(want.has_value() && value == *want)
            << what << ": " << key << " reads " << value.substr(0, 24) << ", expected "
            << (want ? want->substr(0, 24) : "<deleted>");
        if (!(want.has_value() && value == *want)) ++errors, ++wrong_;
      } else if (g.IsNotFound()) {
        EXPECT_FALSE(want.has_value()) << what << ": " << key << " is missing (NotFound)";
        if (want.has_value()) ++errors, ++wrong_;
      } else {
        ++errors;
      }
    }
    db.reset();
    if (errors > 0) {
      EXPECT_FALSE(check_ok) << "VerifyDataDirectory says OK for " << what << " whose reads fail";
      return {Outcome::kServedWithErrors, !check_ok};
    }
    return {Outcome::kServedClean, !check_ok};
  }

  const uint64_t seed_;
  std::mt19937_64 rng_;
  const uint64_t flips_per_region_;
  NoSyncFileSystem nosync_;
  TempDir work_;
  const std::string pristine_ = JoinPath(work_.path(), "pristine");
  Options options_;
  std::unique_ptr<Db> db_;
  std::map<std::string, std::optional<std::string>> expected_;
  std::vector<Mutation> mutations_;
  uint64_t wrong_ = 0;  // reads that returned a wrong value or NotFound for a live key
};

TEST_F(CorruptionSweep, DamageIsRefusedOrReportedNeverServedWrong) {
  std::printf("corruption sweep: seed %llu (SHALE_STRESS_SEED replays it), %llu flips per region\n",
              static_cast<unsigned long long>(seed_),
              static_cast<unsigned long long>(flips_per_region_));
  BuildPristine();
  if (HasFatalFailure()) return;
  PlanMutations();
  if (HasFatalFailure()) return;

  struct Counts {
    uint64_t refused = 0, errors = 0, clean = 0, flagged = 0;
  };
  std::map<std::pair<std::string, std::string>, Counts> table;  // (kind, mutation) -> counts
  Counts total;
  std::map<std::string, int> files;
  for (const Mutation& m : mutations_) {
    files[m.kind + " " + m.file] = 0;
    const Result result = Check(m);
    Counts& row = table[{m.kind, m.name}];
    if (result.flagged) ++row.flagged, ++total.flagged;
    switch (result.outcome) {
      case Outcome::kRefused:
        ++row.refused, ++total.refused;
        break;
      case Outcome::kServedWithErrors:
        ++row.errors, ++total.errors;
        break;
      case Outcome::kServedClean:
        ++row.clean, ++total.clean;
        break;
    }
  }
  std::printf("corruption sweep: files:");
  for (const auto& [file, unused] : files) std::printf(" %s", file.c_str());
  std::printf("\n  %-9s %-18s %8s %13s %13s %14s\n", "kind", "mutation", "refused", "served-errors",
              "served-clean", "check-flagged");
  for (const auto& [key, row] : table) {
    std::printf(
        "  %-9s %-18s %8llu %13llu %13llu %14llu\n", key.first.c_str(), key.second.c_str(),
        static_cast<unsigned long long>(row.refused), static_cast<unsigned long long>(row.errors),
        static_cast<unsigned long long>(row.clean), static_cast<unsigned long long>(row.flagged));
  }
  std::printf(
      "corruption sweep: %zu mutations of %zu files, %llu refused, %llu served with errors, %llu "
      "served clean (%llu copies flagged by VerifyDataDirectory), %llu reads wrong%s\n",
      mutations_.size(), files.size(), static_cast<unsigned long long>(total.refused),
      static_cast<unsigned long long>(total.errors), static_cast<unsigned long long>(total.clean),
      static_cast<unsigned long long>(total.flagged), static_cast<unsigned long long>(wrong_),
      HasFailure() ? " (FAILED: see above)" : "");
}

}  // namespace
}  // namespace shale::storage
