#include "storage/status.h"

namespace shale::storage {

std::string Status::ToString() const {
  const char* prefix = "";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      prefix = "NotFound";
      break;
    case Code::kCorruption:
      prefix = "Corruption";
      break;
    case Code::kIOError:
      prefix = "IO error";
      break;
    case Code::kNoSpace:
      prefix = "No space";
      break;
    case Code::kInvalidArgument:
      prefix = "Invalid argument";
      break;
    case Code::kNotSupported:
      prefix = "Not supported";
      break;
    case Code::kAborted:
      prefix = "Aborted";
      break;
  }
  std::string out(prefix);
  if (!message_.empty()) {
    out.append(": ");
    out.append(message_);
  }
  return out;
}

}  // namespace shale::storage
