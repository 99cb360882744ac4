// Iterator: the one interface over sorted internal-key/value sequences (memtable now; SSTables,
// merging and level iterators later). Keys are internal keys (key_format.h).
//
// An iterator is used by one thread. The views returned by key() and value() stay valid until
// the iterator moves or is destroyed.
#pragma once

#include <string_view>

#include "storage/status.h"

namespace shale::storage {

class Iterator {
 public:
  Iterator() = default;
  virtual ~Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the first entry whose internal key is >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid()
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Not OK when the iterator stopped because of an error (e.g. a bad block later).
  virtual Status status() const = 0;
};

}  // namespace shale::storage
