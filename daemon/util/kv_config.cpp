#include "util/kv_config.h"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace scx_custody {
namespace {

std::string_view trim(std::string_view s) {
    const char* ws = " \t\r";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos)
        return {};
    size_t e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

} // namespace

Result<KvConfig> parse_kv_config(std::string_view text, const std::string& origin) {
    KvConfig config;
    size_t line_no = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        line_no++;
        auto where = [&] { return origin + ":" + std::to_string(line_no) + ": "; };

        line = trim(line);
        if (line.empty() || line.front() == '#')
            continue;
        size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            return Error::usage(where() + "expected key = value");
        std::string key(trim(line.substr(0, eq)));
        std::string_view value = trim(line.substr(eq + 1));
        if (key.empty())
            return Error::usage(where() + "empty key");
        if (!value.empty() && value.front() == '"') {
            size_t close = value.find('"', 1);
            if (close == std::string_view::npos)
                return Error::usage(where() + "unterminated string");
            std::string_view rest = trim(value.substr(close + 1));
            if (!rest.empty() && rest.front() != '#')
                return Error::usage(where() + "unexpected text after the string");
            value = value.substr(1, close - 1);
        } else {
            size_t hash = value.find('#');
            value = trim(value.substr(0, hash));
            if (value.empty())
                return Error::usage(where() + "no value for " + key);
        }
        if (!config.emplace(key, std::string(value)).second)
            return Error::usage(where() + key + " is set twice");
    }
    return config;
}

Result<KvConfig> load_kv_config(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return Error::system("read configuration " + path, errno, ExitCode::Usage);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_kv_config(text.str(), path);
}

} // namespace scx_custody
