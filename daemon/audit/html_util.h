// Text helpers for the HTML report: escaping and human-readable numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scx_custody::audit {

// What HTML and XML escaping differ in: the apostrophe's entity, the control
// characters kept as they are, and what replaces any other control character.
struct MarkupDialect {
    std::string_view apostrophe;
    std::string_view kept_controls;
    std::string_view control_replacement;
};
// & < > " as entities, ' and control characters per the dialect.
std::string escape_markup(std::string_view text, const MarkupDialect& dialect);

// Safe in HTML text and in quoted attribute values: & < > " ' are entities, and
// control characters (never valid in HTML text) become U+FFFD.
std::string html_escape(std::string_view text);

// 1234567 -> "1,234,567".
std::string grouped(uint64_t value);

// A duration in the largest unit that keeps it >= 1: "850 ns", "12.3 µs", "4.1 ms", "2 s".
std::string human_duration(double ns);

// A number with at most `decimals` decimals, trailing zeros dropped: "3", "2.5".
std::string short_number(double value, int decimals = 1);

} // namespace scx_custody::audit
