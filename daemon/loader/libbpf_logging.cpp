#include "loader/libbpf_logging.h"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace scx_custody::loader {
namespace {

int print_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
    auto logger = spdlog::get("libbpf");
    if (!logger)
        return 0;
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof(buf), format, args);
    std::string line(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
    while (!line.empty() && line.back() == '\n')
        line.pop_back();
    switch (level) {
    case LIBBPF_WARN:
        logger->warn("{}", line);
        break;
    case LIBBPF_INFO:
        logger->info("{}", line);
        break;
    default:
        logger->debug("{}", line);
        break;
    }
    return n;
}

} // namespace

void route_libbpf_logs(bool verbose) {
    auto logger = spdlog::get("libbpf");
    if (!logger)
        logger = spdlog::stderr_color_mt("libbpf");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    libbpf_set_print(print_to_spdlog);
}

} // namespace scx_custody::loader
