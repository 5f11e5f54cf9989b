#include "record/crc32.h"

#include <array>

namespace scx_custody::record {
namespace {

constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

} // namespace

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
    crc = ~crc;
    for (std::byte b : data)
        crc = kTable[(crc ^ static_cast<uint32_t>(b)) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

} // namespace scx_custody::record
