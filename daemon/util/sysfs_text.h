// Reading the one-value text files of sysfs and procfs
// (/sys/kernel/sched_ext/state, .../enable_seq, ...). Header-only, so that
// libraries that do not link custody_util (the audit's) can use it too.
#pragma once

#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace scx_custody {

// The file's first line without trailing blanks; empty when it cannot be
// read (a sched_ext directory goes away when its scheduler is disabled).
inline std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
        line.pop_back();
    return line;
}

// A whole unsigned decimal number, or nothing (empty, signs, blanks, other
// characters, or too large for 64 bits).
inline std::optional<uint64_t> parse_u64(std::string_view text) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace scx_custody
