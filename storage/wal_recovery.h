// Replaying a shard's WAL files at open, under a WalRecoveryMode (db.h):
//
//   outcome of a file           tolerate-tail   absolute     point-in-time      skip-any
//   torn tail                   cut off         refuse       cut off, stop (*)  cut off
//   corruption in the middle    refuse          refuse       cut there, stop(*) skip the bad bytes
//   corrupt complete last record refuse         refuse       cut there, stop(*) skip it
//   sequence gap before a batch refuse          refuse       cut there, stop(*) apply it, warn
//   listed WAL missing, or WALs
//   end before the manifest's
//   durable sequence            refuse          refuse       start, warn        start, warn
//
// The last two rows are the shard's (shard.cc): its handler reports a gap as an unusable record
// (a Corruption status), and it checks the manifest's record of durable WAL files
// (version_edit.h, field 10) before and after calling RecoverWalFiles. Either means
// acknowledged writes are gone, which no crash explains.
//   garbled header + records    refuse          refuse       cut at 0, stop (*) skip the header
//   foreign file / bad version  refuse          refuse       refuse             refuse
//
//   (*) stop: the rest of that file is cut off and every later file is set aside (renamed to
//       NNNNNN.log.dropped, kept for inspection, never replayed).
//
// A torn tail is an incomplete last record (log_reader.h): what a crash during an append leaves.
// A last record that is complete (its length field fits the file) but fails its checksum is
// not torn: a torn append shortens a record, it does not flip its bytes. Like RocksDB's
// kTolerateCorruptedTailRecords, which tolerates only incomplete tail records, the default mode
// refuses it; point-in-time recovery cuts it off.
//
// "Cut off" truncates the file durably at the first bad byte and logs a warning, so the next
// open sees a clean file. "Refuse" returns Status::Corruption naming the file, the offset and
// the reason. A foreign file is refused in every mode: replaying another shard's records would
// put keys where they are never looked up. An empty file (created, crash before its header
// reached the disk) counts as clean.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"
#include "storage/options.h"
#include "storage/status.h"

namespace shale::storage {

// The names used by the wal-recovery-mode setting.
std::string_view WalRecoveryModeName(WalRecoveryMode mode);
bool ParseWalRecoveryMode(std::string_view name, WalRecoveryMode* mode);

struct WalFileInfo {
  uint64_t number = 0;
  std::string path;
};

struct WalFileOutcome {
  uint64_t number = 0;
  std::string path;
  uint64_t records = 0;     // batch records handed to the handler
  uint64_t final_size = 0;  // size after any cut
  bool dropped = false;     // set aside by point-in-time recovery
};

struct WalRecoveryResult {
  uint64_t records = 0;
  uint64_t truncated_bytes = 0;  // torn tails and point-in-time cuts
  uint64_t skipped_bytes = 0;    // bad bytes passed over by skip-any
  uint64_t dropped_files = 0;
  std::vector<WalFileOutcome> files;  // one per file examined, in order
};

// Receives every valid batch record's payload in order. A Corruption status (a record whose
// checksum holds but whose batch does not parse) is handled as a bad record at that offset;
// any other non-OK status ends recovery and is returned.
using WalBatchHandler = std::function<Status(std::string_view payload)>;

// Replays `files` (ascending file numbers) of shard `shard_index`. With `read_only` (a check of
// the directory, shale-sst) nothing is cut or set aside: the result says what would have been.
Status RecoverWalFiles(FileSystem* fs, const std::vector<WalFileInfo>& files, uint32_t shard_index,
                       WalRecoveryMode mode, const WalBatchHandler& handler,
                       WalRecoveryResult* result, bool read_only = false);

}  // namespace shale::storage
