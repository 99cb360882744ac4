// SSTables (storage/table_builder.h, storage/table.h): round trips with and without LZ4, the
// compression decision, Get across versions, snapshots and tombstones, iteration over many
// blocks, detection of damage in every block, truncated and foreign files, the block cache, and
// concurrent readers.
#include "storage/table.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/block.h"
#include "storage/block_cache.h"
#include "storage/coding.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/key_format.h"
#include "storage/table_builder.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

struct Entry {
  std::string key;  // internal key
  std::string value;
};
using Entries = std::vector<Entry>;

std::string IKey(std::string_view storage_key, uint64_t sequence,
                 ValueKind kind = ValueKind::kValue) {
  std::string k;
  AppendInternalKey(storage_key, sequence, kind, &k);
  return k;
}

std::string StorageKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%07d", i);
  return buf;
}

// n keys (even numbers, so odd ones are absent), one version each, compressible values.
Entries SimpleEntries(int n, size_t value_size = 40) {
  Entries entries;
  for (int i = 0; i < n; ++i) {
    const std::string value =
        std::string(value_size, static_cast<char>('a' + i % 26)) + std::to_string(i);
    entries.push_back({IKey(StorageKey(2 * i), 1000 + i), value});
  }
  return entries;
}

class TableTest : public ::testing::Test {
 protected:
  FileSystem* fs() { return DefaultFileSystem(); }

  std::string Path(const std::string& name) { return JoinPath(dir_.path(), name); }

  // Writes a table; returns its properties from the builder.
  TableProperties Write(const std::string& path, const Entries& entries,
                        const TableOptions& options = {}) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs()->NewWritableFile(path, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& e : entries) builder.Add(e.key, e.value);
    EXPECT_EQ(builder.NumEntries(), entries.size());
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(builder.status().ok());
    EXPECT_EQ(builder.FileSize(), file->Size());
    EXPECT_TRUE(file->Sync().ok());
    EXPECT_TRUE(file->Close().ok());
    return builder.properties();
  }

  Status Open(const std::string& path, std::unique_ptr<Table>* table, BlockCache* cache = nullptr) {
    uint64_t size = 0;
    Status s = fs()->GetFileSize(path, &size);
    if (!s.ok()) return s;
    std::unique_ptr<RandomAccessFile> file;
    s = fs()->NewRandomAccessFile(path, &file);
    if (!s.ok()) return s;
    return Table::Open(path, std::move(file), size, cache, table);
  }

  std::unique_ptr<Table> MustOpen(const std::string& path, BlockCache* cache = nullptr) {
    std::unique_ptr<Table> table;
    Status s = Open(path, &table, cache);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return table;
  }

  std::string ReadFile(const std::string& path) {
    std::string contents;
    EXPECT_TRUE(ReadFileToString(fs(), path, &contents).ok());
    return contents;
  }

  void WriteFile(const std::string& path, std::string_view contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs()->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Close().ok());
  }

  TempDir dir_;
};

Entries ReadAll(const Table& table, Status* status) {
  Entries out;
  auto it = table.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.push_back({std::string(it->key()), std::string(it->value())});
  }
  *status = it->status();
  return out;
}

bool operator==(const Entry& a, const Entry& b) { return a.key == b.key && a.value == b.value; }

void ExpectGet(const Table& table, std::string_view storage_key, uint64_t snapshot,
               bool expect_found, ValueKind expect_kind = ValueKind::kValue,
               uint64_t expect_sequence = 0, std::string_view expect_value = {}) {
  bool found = true;
  ValueKind kind = ValueKind::kValue;
  uint64_t sequence = 0;
  std::string value;
  Status s = table.Get(storage_key, snapshot, &found, &kind, &sequence, &value);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(found, expect_found) << storage_key << " @" << snapshot;
  if (!found) return;
  EXPECT_EQ(kind, expect_kind);
  EXPECT_EQ(sequence, expect_sequence);
  EXPECT_EQ(value, expect_value);
}

// Positions of every block in a table file, from its footer and index block, and the position
// (in entry order) of each data block's first entry.
struct Layout {
  std::vector<BlockHandle> data;
  std::vector<size_t> first_entry;
  std::vector<uint8_t> compression;  // each data block's compression byte
  BlockHandle filter, index, properties;
  uint64_t footer = 0;
};

Layout ReadLayout(const std::string& image) {
  Layout layout;
  Footer footer;
  EXPECT_TRUE(footer.DecodeFrom(std::string_view(image).substr(image.size() - kFooterSize)).ok());
  layout.filter = footer.filter;
  layout.index = footer.index;
  layout.properties = footer.properties;
  layout.footer = image.size() - kFooterSize;
  auto file = NewStringRandomAccessFile(image);
  std::string contents;
  EXPECT_TRUE(ReadBlock(file.get(), "mem", image.size(), footer.index, &contents).ok());
  Block index;
  EXPECT_TRUE(index.Init(std::make_shared<const std::string>(contents)).ok());
  auto it = index.NewIterator();
  size_t entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view v = it->value();
    BlockHandle h;
    EXPECT_TRUE(h.DecodeFrom(&v));
    layout.data.push_back(h);
    layout.first_entry.push_back(entries);
    layout.compression.push_back(static_cast<uint8_t>(image[h.offset + h.size]));
    EXPECT_TRUE(ReadBlock(file.get(), "mem", image.size(), h, &contents).ok());
    Block data;
    EXPECT_TRUE(data.Init(std::make_shared<const std::string>(contents)).ok());
    auto data_it = data.NewIterator();
    for (data_it->SeekToFirst(); data_it->Valid(); data_it->Next()) ++entries;
  }
  return layout;
}

TEST_F(TableTest, RoundTripWithAndWithoutCompression) {
  const Entries entries = SimpleEntries(5000);
  for (const Compression c : {Compression::kNone, Compression::kLZ4}) {
    TableOptions options;
    options.compression = c;
    const std::string path = Path(c == Compression::kLZ4 ? "lz4.sst" : "raw.sst");
    const TableProperties written = Write(path, entries, options);
    auto table = MustOpen(path);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->path(), path);

    Status s;
    const Entries got = ReadAll(*table, &s);
    EXPECT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(got.size(), entries.size());
    EXPECT_TRUE(got == entries);
    for (int i = 0; i < 5000; ++i) {
      ExpectGet(*table, StorageKey(2 * i), kMaxSequence, true, ValueKind::kValue, 1000 + i,
                entries[i].value);
      ExpectGet(*table, StorageKey(2 * i + 1), kMaxSequence, false);
    }
    EXPECT_TRUE(table->VerifyChecksums().ok());

    const TableProperties& p = table->properties();
    EXPECT_EQ(p, written);
    EXPECT_EQ(p.num_entries, 5000u);
    EXPECT_EQ(p.num_deletions, 0u);
    EXPECT_GT(p.num_data_blocks, 50u);
    EXPECT_EQ(p.smallest_key, entries.front().key);
    EXPECT_EQ(p.largest_key, entries.back().key);
    EXPECT_EQ(p.smallest_sequence, 1000u);
    EXPECT_EQ(p.largest_sequence, 5999u);
    EXPECT_EQ(p.format_version, 1u);
    EXPECT_GT(p.creation_time_ms, 0u);
    EXPECT_EQ(p.bloom_bits_per_key, 10u);
    size_t raw_keys = 0, raw_values = 0;
    for (const auto& e : entries) {
      raw_keys += e.key.size();
      raw_values += e.value.size();
    }
    EXPECT_EQ(p.raw_key_bytes, raw_keys);
    EXPECT_EQ(p.raw_value_bytes, raw_values);
    EXPECT_EQ(p.data_bytes + p.filter_bytes + p.index_bytes < table->file_size(), true);
    if (c == Compression::kNone) {
      EXPECT_EQ(p.num_compressed_blocks, 0u);
      EXPECT_EQ(p.data_bytes, p.uncompressed_data_bytes + p.num_data_blocks * kBlockTrailerSize);
    } else {
      EXPECT_EQ(p.num_compressed_blocks, p.num_data_blocks);
      EXPECT_LT(p.data_bytes, p.uncompressed_data_bytes / 2);
    }
  }
}

TEST_F(TableTest, LZ4OnlyWhenItSavesAnEighth) {
  // Values of random bytes do not compress: every block is stored raw.
  std::mt19937_64 rng(5);
  Entries random_entries;
  for (int i = 0; i < 2000; ++i) {
    std::string value(100, '\0');
    for (char& c : value) c = static_cast<char>(rng() & 0xff);
    random_entries.push_back({IKey(StorageKey(i), 1), value});
  }
  const TableProperties incompressible = Write(Path("random.sst"), random_entries);
  EXPECT_GT(incompressible.num_data_blocks, 10u);
  EXPECT_EQ(incompressible.num_compressed_blocks, 0u);

  // Repetitive values compress well: every block is stored compressed.
  const TableProperties compressible = Write(Path("repetitive.sst"), SimpleEntries(2000, 100));
  EXPECT_EQ(compressible.num_compressed_blocks, compressible.num_data_blocks);

  // Each stored block's compression byte agrees with the properties, and both read back.
  for (const char* name : {"random.sst", "repetitive.sst"}) {
    const Layout layout = ReadLayout(ReadFile(Path(name)));
    const uint8_t expected = std::string_view(name) == "random.sst" ? 0 : 1;
    for (const uint8_t c : layout.compression) EXPECT_EQ(c, expected) << name;
    auto table = MustOpen(Path(name));
    Status s;
    EXPECT_EQ(ReadAll(*table, &s).size(), 2000u);
    EXPECT_TRUE(s.ok());
  }
}

TEST_F(TableTest, VersionsSnapshotsAndTombstones) {
  // "a": seq 10 put, 7 del, 5 put, 2 put. "b": seq 3 del only. "c": seq 8 put.
  const std::string a = StorageKey(1), b = StorageKey(2), c = StorageKey(3);
  const Entries entries = {
      {IKey(a, 10), "v10"}, {IKey(a, 7, ValueKind::kDeletion), ""}, {IKey(a, 5), "v5"},
      {IKey(a, 2), "v2"},   {IKey(b, 3, ValueKind::kDeletion), ""}, {IKey(c, 8), "c8"},
  };
  const TableProperties p = Write(Path("t.sst"), entries);
  EXPECT_EQ(p.num_deletions, 2u);
  EXPECT_EQ(p.smallest_sequence, 2u);
  EXPECT_EQ(p.largest_sequence, 10u);
  auto table = MustOpen(Path("t.sst"));

  ExpectGet(*table, a, kMaxSequence, true, ValueKind::kValue, 10, "v10");
  ExpectGet(*table, a, ~uint64_t{0}, true, ValueKind::kValue, 10, "v10");
  ExpectGet(*table, a, 10, true, ValueKind::kValue, 10, "v10");
  ExpectGet(*table, a, 9, true, ValueKind::kDeletion, 7, "");
  ExpectGet(*table, a, 7, true, ValueKind::kDeletion, 7, "");
  ExpectGet(*table, a, 6, true, ValueKind::kValue, 5, "v5");
  ExpectGet(*table, a, 4, true, ValueKind::kValue, 2, "v2");
  ExpectGet(*table, a, 1, false);
  ExpectGet(*table, b, 100, true, ValueKind::kDeletion, 3, "");
  ExpectGet(*table, b, 2, false);
  ExpectGet(*table, c, 8, true, ValueKind::kValue, 8, "c8");
  ExpectGet(*table, c, 7, false);
  ExpectGet(*table, StorageKey(0), 100, false);  // before the range
  ExpectGet(*table, StorageKey(4), 100, false);  // after the range
  ExpectGet(*table, "", 100, false);
}

TEST_F(TableTest, VersionsSpanningBlocks) {
  // 300 versions of one key around two neighbours, with tiny blocks: the versions of "k" span
  // many blocks, and every snapshot still finds the right one.
  const std::string k = StorageKey(5);
  Entries entries = {{IKey(StorageKey(4), 1), "before"}};
  for (uint64_t seq = 600; seq >= 2; seq -= 2) {
    entries.push_back({IKey(k, seq), "v" + std::to_string(seq)});
  }
  entries.push_back({IKey(StorageKey(6), 1), "after"});
  TableOptions options;
  options.block_size = 256;
  options.restart_interval = 4;
  const TableProperties p = Write(Path("v.sst"), entries, options);
  EXPECT_GT(p.num_data_blocks, 10u);
  auto table = MustOpen(Path("v.sst"));
  for (uint64_t snapshot = 1; snapshot <= 601; ++snapshot) {
    const uint64_t expect = snapshot - snapshot % 2;
    if (expect == 0) {
      ExpectGet(*table, k, snapshot, false);
    } else {
      ExpectGet(*table, k, snapshot, true, ValueKind::kValue, expect, "v" + std::to_string(expect));
    }
  }
  ExpectGet(*table, StorageKey(6), 5, true, ValueKind::kValue, 1, "after");
}

TEST_F(TableTest, IteratorSeekAndNextOverManyBlocks) {
  const Entries entries = SimpleEntries(3000);
  TableOptions options;
  options.block_size = 512;
  const TableProperties p = Write(Path("it.sst"), entries, options);
  EXPECT_GT(p.num_data_blocks, 100u);
  auto table = MustOpen(Path("it.sst"));
  auto it = table->NewIterator();
  for (int i = 0; i < 3000; i += 7) {
    it->Seek(entries[i].key);  // an existing key
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), entries[i].key);
    EXPECT_EQ(it->value(), entries[i].value);
    it->Seek(IKey(StorageKey(2 * i + 1), kMaxSequence));  // a gap: lands on the next key
    if (i + 1 < 3000) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), entries[i + 1].key);
    } else {
      EXPECT_FALSE(it->Valid());
    }
    it->Seek(IKey(StorageKey(2 * i), 1));  // older than the stored version: the next key
    if (i + 1 < 3000) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), entries[i + 1].key);
    }
  }
  // A storage key alone (shorter than an internal key) seeks to its first version.
  it->Seek(StorageKey(10).substr(0, 5));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), entries[0].key);

  it->Seek(IKey("", 1));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), entries[0].key);
  it->Seek(IKey(StorageKey(999999), 1));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  // Next walks across every block boundary from a seek point.
  it->Seek(entries[1234].key);
  int n = 1234;
  for (; it->Valid(); it->Next(), ++n) ASSERT_EQ(it->key(), entries[n].key);
  EXPECT_EQ(n, 3000);
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TableTest, EmptyTable) {
  const TableProperties p = Write(Path("empty.sst"), {});
  EXPECT_EQ(p.num_entries, 0u);
  EXPECT_EQ(p.num_data_blocks, 0u);
  auto table = MustOpen(Path("empty.sst"));
  auto it = table->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  ExpectGet(*table, "a", 100, false);
  EXPECT_TRUE(table->VerifyChecksums().ok());
}

TEST_F(TableTest, NoFilter) {
  TableOptions options;
  options.bloom_bits_per_key = 0;
  const TableProperties p = Write(Path("nofilter.sst"), SimpleEntries(100), options);
  EXPECT_EQ(p.filter_bytes, 0u);
  EXPECT_EQ(p.bloom_bits_per_key, 0u);
  auto table = MustOpen(Path("nofilter.sst"));
  EXPECT_TRUE(table->MayContain(StorageKey(1)));
  ExpectGet(*table, StorageKey(2), kMaxSequence, true, ValueKind::kValue, 1001,
            SimpleEntries(100)[1].value);
  ExpectGet(*table, StorageKey(3), kMaxSequence, false);
  EXPECT_TRUE(table->VerifyChecksums().ok());
}

TEST_F(TableTest, BloomFilterSkipsDataBlocks) {
  BlockCache cache(1 << 20);
  Write(Path("bloom.sst"), SimpleEntries(2000));
  auto table = MustOpen(Path("bloom.sst"), &cache);
  int may_contain = 0;
  for (int i = 0; i < 2000; ++i) {
    EXPECT_TRUE(table->MayContain(StorageKey(2 * i)));
    if (table->MayContain(StorageKey(2 * i + 1))) ++may_contain;
    ExpectGet(*table, StorageKey(2 * i + 1), kMaxSequence, false);
  }
  // Absent keys inside the range: only the filter's false positives read a data block.
  EXPECT_LT(may_contain, 60);
  EXPECT_EQ(cache.hits() + cache.misses(), static_cast<uint64_t>(may_contain));
}

TEST_F(TableTest, BlockCacheServesTheSecondRead) {
  BlockCache cache(1 << 20);
  const Entries entries = SimpleEntries(500);
  Write(Path("cache.sst"), entries);
  auto table = MustOpen(Path("cache.sst"), &cache);
  EXPECT_NE(table->cache_id(), 0u);
  ExpectGet(*table, StorageKey(20), kMaxSequence, true, ValueKind::kValue, 1010, entries[10].value);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.inserts(), 1u);
  ExpectGet(*table, StorageKey(20), kMaxSequence, true, ValueKind::kValue, 1010, entries[10].value);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);

  // A full scan reads every block once more through the cache; a second scan only hits.
  Status s;
  ReadAll(*table, &s);
  const uint64_t misses = cache.misses();
  EXPECT_EQ(misses, table->properties().num_data_blocks);
  const uint64_t hits = cache.hits();
  ReadAll(*table, &s);
  EXPECT_EQ(cache.misses(), misses);
  EXPECT_EQ(cache.hits(), hits + table->properties().num_data_blocks);
  EXPECT_GT(cache.usage(), 0u);

  // Another open of the same file has its own cache id.
  auto again = MustOpen(Path("cache.sst"), &cache);
  EXPECT_NE(again->cache_id(), table->cache_id());
  cache.EraseTable(table->cache_id());
  EXPECT_EQ(cache.usage(), 0u);
}

TEST_F(TableTest, LargeValuesAndKeys) {
  Entries entries;
  for (int i = 0; i < 20; ++i) {
    std::string key = StorageKey(i) + std::string(static_cast<size_t>(i) * 100, 'k');
    entries.push_back({IKey(key, 5), std::string(static_cast<size_t>(50000 + i), 'v')});
  }
  Write(Path("large.sst"), entries);
  auto table = MustOpen(Path("large.sst"));
  Status s;
  EXPECT_TRUE(ReadAll(*table, &s) == entries);
  EXPECT_TRUE(s.ok());
  for (const auto& e : entries) {
    ExpectGet(*table, InternalKeyStorageKey(e.key), 10, true, ValueKind::kValue, 5, e.value);
  }
}

TEST_F(TableTest, BuilderReportsWriteErrors) {
  FaultInjectionFileSystem faulty(DefaultFileSystem());
  for (uint64_t nth = 1; nth <= 4; ++nth) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(faulty.NewWritableFile(Path("fail.sst"), &file).ok());
    faulty.FailNthAppend(nth);
    TableOptions options;
    options.block_size = 1024;
    TableBuilder builder(options, file.get());
    for (const auto& e : SimpleEntries(200)) builder.Add(e.key, e.value);
    const Status s = builder.Finish();
    EXPECT_TRUE(s.IsIOError()) << nth << ": " << s.ToString();
    EXPECT_TRUE(builder.status().IsIOError());
    faulty.ClearFaults();
  }
  // Abandon leaves the file to the caller.
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs()->NewWritableFile(Path("abandoned.sst"), &file).ok());
  TableBuilder builder(TableOptions{}, file.get());
  builder.Add(IKey("k", 1), "v");
  builder.Abandon();
  EXPECT_EQ(builder.NumEntries(), 1u);
}

TEST_F(TableTest, FlippedBitInEveryBlockIsDetected) {
  const Entries entries = SimpleEntries(400);
  TableOptions options;
  options.block_size = 1024;
  const std::string path = Path("flip.sst");
  const TableProperties props = Write(path, entries, options);
  const std::string good = ReadFile(path);
  const Layout layout = ReadLayout(good);
  ASSERT_EQ(layout.data.size(), props.num_data_blocks);
  ASSERT_GE(layout.data.size(), 5u);

  auto flip = [&](uint64_t offset) {
    std::string bad = good;
    bad[offset] ^= 0x04;
    WriteFile(path, bad);
  };
  auto expect_names_file = [&](const Status& s, const char* what) {
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    EXPECT_EQ(s.message().rfind(path + ": ", 0), 0u) << what << ": " << s.ToString();
  };

  // Data blocks: Open succeeds (data blocks are read on demand); Get of a key in the block,
  // the iterator and VerifyChecksums all report the damage, naming the file and the offset.
  for (size_t b = 0; b < layout.data.size(); b += 2) {
    const BlockHandle& h = layout.data[b];
    for (const uint64_t offset : {h.offset, h.offset + h.size / 2, h.offset + h.size,
                                  h.offset + h.size + kBlockTrailerSize - 1}) {
      flip(offset);
      BlockCache cache(1 << 20);
      auto table = MustOpen(path, &cache);
      ASSERT_NE(table, nullptr);
      std::string bad_checksum = path;
      bad_checksum += ": bad block checksum at offset ";
      bad_checksum += std::to_string(h.offset);

      Status s = table->VerifyChecksums();
      expect_names_file(s, "verify");
      EXPECT_EQ(s.message(), bad_checksum);

      const size_t first_in_block = layout.first_entry[b];
      ASSERT_LT(first_in_block, entries.size());
      const std::string key(InternalKeyStorageKey(entries[first_in_block].key));
      bool found = false;
      ValueKind kind;
      uint64_t sequence = 0;
      std::string value;
      s = table->Get(key, kMaxSequence, &found, &kind, &sequence, &value);
      expect_names_file(s, "get");
      EXPECT_FALSE(found);
      EXPECT_EQ(s.message(), bad_checksum);

      Status iter_status;
      const Entries got = ReadAll(*table, &iter_status);
      expect_names_file(iter_status, "iterator");
      EXPECT_EQ(got.size(), first_in_block);  // everything before the damaged block, intact
      for (size_t i = 0; i < got.size(); ++i) ASSERT_TRUE(got[i] == entries[i]);
      // Nothing damaged was cached.
      EXPECT_TRUE(table->Get(key, kMaxSequence, &found, &kind, &sequence, &value).IsCorruption());
    }
  }

  // Metadata blocks and the footer: Open itself fails.
  const std::pair<const char*, BlockHandle> meta[] = {
      {"filter", layout.filter}, {"index", layout.index}, {"properties", layout.properties}};
  for (const auto& [what, h] : meta) {
    for (const uint64_t offset : {h.offset, h.offset + h.size / 2, h.offset + h.size,
                                  h.offset + h.size + kBlockTrailerSize - 1}) {
      flip(offset);
      std::unique_ptr<Table> table;
      Status s = Open(path, &table);
      expect_names_file(s, what);
      EXPECT_NE(s.message().find("at offset " + std::to_string(h.offset)), std::string::npos)
          << what << ": " << s.ToString();
      EXPECT_EQ(table, nullptr);
    }
  }
  for (uint64_t offset = layout.footer; offset < good.size(); ++offset) {
    flip(offset);
    std::unique_ptr<Table> table;
    Status s = Open(path, &table);
    expect_names_file(s, "footer");
  }

  // And the undamaged file still verifies.
  WriteFile(path, good);
  auto table = MustOpen(path);
  EXPECT_TRUE(table->VerifyChecksums().ok());
}

// Exhaustive: every single-bit flip anywhere in a small table is caught by Open or by
// VerifyChecksums (in memory, to keep it fast).
TEST_F(TableTest, EveryBitFlipInASmallTableIsDetected) {
  TableOptions options;
  options.block_size = 200;
  const std::string path = Path("small.sst");
  Write(path, SimpleEntries(20, 10), options);
  const std::string good = ReadFile(path);
  ASSERT_LT(good.size(), 4000u);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    std::unique_ptr<Table> table;
    Status s = Table::Open(path, NewStringRandomAccessFile(bad), bad.size(), nullptr, &table);
    if (s.ok()) s = table->VerifyChecksums();
    ASSERT_TRUE(s.IsCorruption()) << "bit " << bit << ": " << s.ToString();
    ASSERT_EQ(s.message().rfind(path + ": ", 0), 0u) << s.ToString();
  }
}

TEST_F(TableTest, TruncatedFilesRejected) {
  const std::string path = Path("trunc.sst");
  Write(path, SimpleEntries(300));
  const std::string good = ReadFile(path);
  for (const size_t size : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65},
                            good.size() / 2, good.size() - kFooterSize, good.size() - 1}) {
    WriteFile(path, std::string_view(good).substr(0, size));
    std::unique_ptr<Table> table;
    Status s = Open(path, &table);
    EXPECT_TRUE(s.IsCorruption()) << size << ": " << s.ToString();
    EXPECT_EQ(s.message().rfind(path + ": ", 0), 0u) << s.ToString();
  }
  // A file claimed larger than it is.
  WriteFile(path, good);
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs()->NewRandomAccessFile(path, &file).ok());
  std::unique_ptr<Table> table;
  EXPECT_TRUE(
      Table::Open(path, std::move(file), good.size() + 100, nullptr, &table).IsCorruption());
}

TEST_F(TableTest, ForeignFilesRejected) {
  std::mt19937_64 rng(3);
  std::string random(5000, '\0');
  for (char& c : random) c = static_cast<char>(rng() & 0xff);
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is not an sstable\n";
  std::string zeros(4096, '\0');
  for (const auto& [name, contents] :
       {std::pair<const char*, std::string>{"random", random}, {"text", text}, {"zeros", zeros}}) {
    const std::string path = Path(std::string(name) + ".sst");
    WriteFile(path, contents);
    std::unique_ptr<Table> table;
    Status s = Open(path, &table);
    ASSERT_TRUE(s.IsCorruption()) << name;
    EXPECT_EQ(s.message(), path + ": not an SSTable (bad magic number) at offset " +
                               std::to_string(contents.size() - kFooterSize));
  }

  // The right magic and checksum but a future version.
  const std::string path = Path("future.sst");
  Write(path, SimpleEntries(10));
  std::string image = ReadFile(path);
  Footer footer;
  ASSERT_TRUE(footer.DecodeFrom(std::string_view(image).substr(image.size() - kFooterSize)).ok());
  footer.format_version = 9;
  image.resize(image.size() - kFooterSize);
  footer.EncodeTo(&image);
  WriteFile(path, image);
  std::unique_ptr<Table> table;
  Status s = Open(path, &table);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("unsupported SSTable format version 9"), std::string::npos);

  // Footer handles that do not match the layout (checksummed correctly).
  image = ReadFile(Path("future.sst"));
  Write(path, SimpleEntries(10));
  image = ReadFile(path);
  ASSERT_TRUE(footer.DecodeFrom(std::string_view(image).substr(image.size() - kFooterSize)).ok());
  footer.index.size += 1;
  image.resize(image.size() - kFooterSize);
  footer.EncodeTo(&image);
  WriteFile(path, image);
  s = Open(path, &table);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("do not match the file layout"), std::string::npos);
}

TEST_F(TableTest, ConcurrentReaders) {
  BlockCache cache(64 * 1024, 2);  // small: readers evict each other's blocks
  const Entries entries = SimpleEntries(4000);
  Write(Path("shared.sst"), entries);
  auto table = MustOpen(Path("shared.sst"), &cache);
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> errors(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 4000; i += 3) {
        bool found = false;
        ValueKind kind;
        uint64_t sequence = 0;
        std::string value;
        Status s = table->Get(StorageKey(2 * i), kMaxSequence, &found, &kind, &sequence, &value);
        if (!s.ok() || !found || value != entries[i].value) ++errors[t];
      }
      auto it = table->NewIterator();
      size_t n = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key() != entries[n].key) ++errors[t];
        ++n;
      }
      if (n != entries.size() || !it->status().ok()) ++errors[t];
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(errors[t], 0) << t;
  EXPECT_GT(cache.hits(), 0u);
}

}  // namespace
}  // namespace shale::storage
