#include "audit/json_util.h"

#include <cstdio>

namespace scx_custody::audit {

const nlohmann::json* find_key(const nlohmann::json& json, std::string_view key) {
    if (!json.is_object())
        return nullptr;
    const auto it = json.find(key);
    return it == json.end() ? nullptr : &*it;
}

bool is_u64(const nlohmann::json& json) {
    if (json.is_number_unsigned())
        return true;
    return json.is_number_integer() && json.get<int64_t>() >= 0;
}

uint64_t u64_or(const nlohmann::json& json, std::string_view key, uint64_t fallback) {
    const nlohmann::json* value = find_key(json, key);
    return value && is_u64(*value) ? value->get<uint64_t>() : fallback;
}

double number_or(const nlohmann::json& json, std::string_view key, double fallback) {
    const nlohmann::json* value = find_key(json, key);
    return value && value->is_number() ? value->get<double>() : fallback;
}

bool bool_or(const nlohmann::json& json, std::string_view key, bool fallback) {
    const nlohmann::json* value = find_key(json, key);
    return value && value->is_boolean() ? value->get<bool>() : fallback;
}

std::string string_or(const nlohmann::json& json, std::string_view key, std::string_view fallback) {
    const nlohmann::json* value = find_key(json, key);
    return value && value->is_string() ? value->get<std::string>() : std::string(fallback);
}

std::string scalar_text(const nlohmann::json& json) {
    if (json.is_string())
        return json.get<std::string>();
    return dump_json(json);
}

std::string printable(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
            out.push_back(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
            out += escaped;
        }
    }
    return out;
}

std::string hex64(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(value));
    return text;
}

std::string dump_json(const nlohmann::json& json, int indent) {
    return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

const nlohmann::json& member(const nlohmann::json& object, std::string_view key) {
    static const nlohmann::json kNull;
    const nlohmann::json* value = find_key(object, key);
    return value ? *value : kNull;
}

const nlohmann::json& array_at(const nlohmann::json& object, std::string_view key) {
    static const nlohmann::json kEmpty = nlohmann::json::array();
    const nlohmann::json* value = find_key(object, key);
    return value && value->is_array() ? *value : kEmpty;
}

} // namespace scx_custody::audit
