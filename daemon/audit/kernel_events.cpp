#include "audit/kernel_events.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace scx_custody::audit {
namespace {

constexpr std::string_view kBlanks = " \t\r";

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(kBlanks);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

// Why the line is not "NAME VALUE", or nothing when it is.
std::optional<std::string> parse_line(std::string_view line, KernelEventCount& out) {
    const auto gap = line.find_first_of(kBlanks);
    if (gap == std::string_view::npos)
        return "no value after the name";
    const std::string_view name = line.substr(0, gap);
    const std::string_view value = trim(line.substr(gap));
    if (value.empty())
        return "no value after the name";
    if (value.find_first_of(kBlanks) != std::string_view::npos)
        return "more than a name and a value";
    uint64_t parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec == std::errc::result_out_of_range)
        return "value " + std::string(value.substr(0, 40)) + " does not fit in 64 bits";
    if (ec != std::errc() || end != value.data() + value.size())
        return "value \"" + std::string(value.substr(0, 40)) + "\" is not an unsigned integer";
    out.name = std::string(name);
    out.value = parsed;
    return std::nullopt;
}

void reject(KernelEventsParse& parse, std::size_t line_no, const std::string& why) {
    ++parse.rejected;
    if (parse.rejected_notes.size() < kMaxRejectedNotes)
        parse.rejected_notes.push_back("line " + std::to_string(line_no) + ": " + why);
}

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return std::nullopt;
    return text.str();
}

} // namespace

const KernelEventCount* KernelEventsParse::find(std::string_view name) const {
    for (const KernelEventCount& count : counts)
        if (count.name == name)
            return &count;
    return nullptr;
}

KernelEventsParse parse_kernel_events(std::string_view text) {
    KernelEventsParse parse;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const std::string_view raw = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_no;
        const std::string_view line = trim(raw);
        if (line.empty())
            continue;
        KernelEventCount count;
        if (auto why = parse_line(line, count)) {
            reject(parse, line_no, *why);
        } else if (parse.find(count.name)) {
            reject(parse, line_no, "duplicate name " + count.name.substr(0, 64));
        } else {
            parse.counts.push_back(std::move(count));
        }
    }
    return parse;
}

Result<KernelEventsReading> read_kernel_events(const std::string& instance_dir) {
    KernelEventsReading reading;
    const auto ops = read_text(instance_dir + "/ops");
    if (!ops)
        return Error::cannot_run(instance_dir + "/ops cannot be read: no scheduler instance there");
    reading.ops = std::string(trim(ops->substr(0, ops->find('\n'))));
    const auto events = read_text(instance_dir + "/events");
    if (!events)
        return Error::cannot_run(instance_dir + "/events cannot be read");
    reading.events = parse_kernel_events(*events);
    return reading;
}

bool lacks_events_file(const std::string& instance_dir) {
    return is_directory(instance_dir) && is_regular_file(instance_dir + "/ops") &&
           !is_regular_file(instance_dir + "/events");
}

} // namespace scx_custody::audit
