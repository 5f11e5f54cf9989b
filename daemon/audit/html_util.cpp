#include "audit/html_util.h"

#include <array>
#include <cstdio>

namespace scx_custody::audit {

std::string escape_markup(std::string_view text, const MarkupDialect& dialect) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += dialect.apostrophe;
            break;
        default:
            if ((static_cast<unsigned char>(c) < 0x20 || c == 0x7f) &&
                dialect.kept_controls.find(c) == std::string_view::npos)
                out += dialect.control_replacement;
            else
                out.push_back(c);
        }
    }
    return out;
}

std::string html_escape(std::string_view text) {
    return escape_markup(text, {"&#39;", "\n\t", "\xef\xbf\xbd"});
}

std::string grouped(uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string short_number(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f", decimals, value);
    std::string out = text;
    if (out.find('.') != std::string::npos) {
        out.erase(out.find_last_not_of('0') + 1);
        if (out.back() == '.')
            out.pop_back();
    }
    return out;
}

std::string human_duration(double ns) {
    struct Unit {
        double scale;
        const char* name;
    };
    constexpr std::array<Unit, 4> kUnits = {
        {{1e9, "s"}, {1e6, "ms"}, {1e3, "\xc2\xb5s"}, {1, "ns"}}};
    for (const Unit& unit : kUnits) {
        if (ns >= unit.scale || unit.scale == 1) {
            const double value = ns / unit.scale;
            return short_number(value, value < 10 ? 1 : 0) + " " + unit.name;
        }
    }
    return "0 ns";
}

} // namespace scx_custody::audit
