// The last steps every new SSTable goes through, whether a flush or a compaction wrote it:
// finish (or abandon) the builder, fsync the file and its directory, and open the result, which
// reads back and verifies the footer, index, filter and properties just written. Only then may a
// manifest edit name the table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/block_cache.h"
#include "storage/file_system.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/table_builder.h"
#include "storage/version_edit.h"

namespace shale::storage {

// `status` is the outcome of building so far (e.g. the input iterator's). When it is OK and the
// builder holds entries, the table is finished, made durable, opened into *table and described
// in *meta (number `number`). Otherwise — a failure, or nothing to write — the file is removed,
// *table stays null, and the failure (or OK for "nothing") is returned. `*file` is closed and
// released either way.
Status FinishTableFile(FileSystem* fs, const std::string& dir, const std::string& path,
                       uint64_t number, BlockCache* cache, Status status, TableBuilder* builder,
                       std::unique_ptr<WritableFile>* file, std::shared_ptr<const Table>* table,
                       TableMeta* meta);

}  // namespace shale::storage
