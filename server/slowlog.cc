#include "server/slowlog.h"

#include <algorithm>

#include "server/command_table.h"

namespace shale::server {

void Slowlog::Push(const std::vector<std::string_view>& args, uint64_t micros, int64_t time_sec,
                   std::string_view client_addr, std::string_view client_name, size_t max_len) {
  SlowlogEntry entry{
      next_id_++, time_sec, micros, {}, std::string(client_addr), std::string(client_name)};
  const size_t kept = std::min(args.size(), kMaxArgs);
  const bool auth = !args.empty() && EqualsIgnoreCase(args[0], "auth");
  const bool hello = !args.empty() && EqualsIgnoreCase(args[0], "hello");
  int redact_count = 0;
  for (size_t i = 0; i < kept; ++i) {
    if (kept < args.size() && i == kMaxArgs - 1) {
      entry.args.push_back("... (" + std::to_string(args.size() - kMaxArgs + 1) +
                           " more arguments)");
      break;
    }
    std::string_view arg = args[i];
    if (redact_count > 0 || (auth && i > 0)) {
      entry.args.emplace_back("(redacted)");
      if (redact_count > 0) --redact_count;
      continue;
    }
    if (hello && EqualsIgnoreCase(arg, "auth")) redact_count = 2;  // AUTH username password
    if (arg.size() > kMaxArgBytes) {
      entry.args.push_back(std::string(arg.substr(0, kMaxArgBytes)) + "... (" +
                           std::to_string(arg.size() - kMaxArgBytes) + " more bytes)");
    } else {
      entry.args.emplace_back(arg);
    }
  }
  entries_.push_front(std::move(entry));
  Trim(max_len);
}

void Slowlog::Trim(size_t max_len) {
  while (entries_.size() > max_len) entries_.pop_back();
}

void LatencyMonitor::Add(std::string_view event, int64_t time_sec, uint64_t millis) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Event{}).first;
  Event& e = it->second;
  e.max_millis = std::max(e.max_millis, millis);
  if (!e.history.empty() && e.history.back().time_sec == time_sec) {
    e.history.back().millis = std::max(e.history.back().millis, millis);
    return;
  }
  e.history.push_back(Sample{time_sec, millis});
  if (e.history.size() > kHistory) e.history.erase(e.history.begin());
}

size_t LatencyMonitor::Reset(const std::vector<std::string_view>& events) {
  if (events.empty()) {
    const size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (std::string_view name : events) {
    auto it = events_.find(name);
    if (it != events_.end()) {
      events_.erase(it);
      ++n;
    }
  }
  return n;
}

}  // namespace shale::server
