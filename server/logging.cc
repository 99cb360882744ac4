#include "server/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace shale::server {

void ApplyLogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      spdlog::set_level(spdlog::level::trace);
      break;
    case LogLevel::kVerbose:
      spdlog::set_level(spdlog::level::debug);
      break;
    case LogLevel::kNotice:
      spdlog::set_level(spdlog::level::info);
      break;
    case LogLevel::kWarning:
      spdlog::set_level(spdlog::level::warn);
      break;
    case LogLevel::kNothing:
      spdlog::set_level(spdlog::level::off);
      break;
  }
}

bool SetUpLogging(const Config& config, std::string* error) {
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (config.logfile.empty()) {
      logger = spdlog::stdout_logger_mt("shale");
    } else {
      logger = spdlog::basic_logger_mt("shale", config.logfile);
    }
    // Redis's line shape: "pid:role date time level message".
    logger->set_pattern(std::to_string(getpid()) + ":M %d %b %Y %H:%M:%S.%e %L %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex& e) {
    *error = std::string("Can't open the log file: ") + e.what();
    return false;
  }
  ApplyLogLevel(config.loglevel);
  return true;
}

}  // namespace shale::server
