// Tolerant readers for JSON documents that came from outside (recordings, reports):
// a missing key or a value of the wrong type gives the default, never an exception.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scx_custody::audit {

// The value at key when json is an object holding it, else nullptr.
const nlohmann::json* find_key(const nlohmann::json& json, std::string_view key);
// The member at key, or null when there is none.
const nlohmann::json& member(const nlohmann::json& object, std::string_view key);
// The array at key, or an empty one.
const nlohmann::json& array_at(const nlohmann::json& object, std::string_view key);

uint64_t u64_or(const nlohmann::json& json, std::string_view key, uint64_t fallback = 0);
double number_or(const nlohmann::json& json, std::string_view key, double fallback = 0);
bool bool_or(const nlohmann::json& json, std::string_view key, bool fallback = false);
std::string string_or(const nlohmann::json& json, std::string_view key,
                      std::string_view fallback = "");
// An unsigned integer value (a non-negative integer of either JSON integer type).
bool is_u64(const nlohmann::json& json);

// Any scalar as short text (strings unquoted), objects and arrays as compact JSON.
std::string scalar_text(const nlohmann::json& json);

// Printable ASCII kept, every other byte as \xNN: comms and scheduler names are
// arbitrary bytes in the kernel.
std::string printable(std::string_view bytes);

// "0x" and 16 hex digits.
std::string hex64(uint64_t value);

// Compact or pretty JSON text that never throws (invalid UTF-8 is replaced).
std::string dump_json(const nlohmann::json& json, int indent = -1);

} // namespace scx_custody::audit
