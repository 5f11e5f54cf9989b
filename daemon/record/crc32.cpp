#include "record/crc32.h"

#include <array>
#include <bit>
#include <cstring>

namespace scx_custody::record {
namespace {

constexpr uint32_t kPolynomial = 0xedb88320u; // reflected 0x04C11DB7

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of
// byte b followed by k zero bytes, which lets one step fold 8 bytes at once
// ("slicing-by-8"): the same CRC, about one table load per byte fewer branches.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
    Tables tables{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit)
            c = (c & 1) ? kPolynomial ^ (c >> 1) : c >> 1;
        tables[0][i] = c;
    }
    for (std::size_t k = 1; k < tables.size(); ++k) {
        for (uint32_t i = 0; i < 256; ++i) {
            const uint32_t previous = tables[k - 1][i];
            tables[k][i] = tables[0][previous & 0xffu] ^ (previous >> 8);
        }
    }
    return tables;
}

constexpr Tables kTables = make_tables();

// The register holds bits in the order they were read, so the first of eight
// bytes sits in the low byte of a little-endian load.
static_assert(std::endian::native == std::endian::little,
              "crc32 slicing-by-8 assumes a little-endian host");

uint32_t step_byte(uint32_t crc, std::byte b) {
    return kTables[0][(crc ^ static_cast<uint32_t>(b)) & 0xffu] ^ (crc >> 8);
}

uint32_t step_8_bytes(uint32_t crc, const std::byte* p) {
    uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    word ^= crc;
    const auto lo = static_cast<uint32_t>(word);
    const auto hi = static_cast<uint32_t>(word >> 32);
    return kTables[7][lo & 0xffu] ^ kTables[6][(lo >> 8) & 0xffu] ^ kTables[5][(lo >> 16) & 0xffu] ^
           kTables[4][lo >> 24] ^ kTables[3][hi & 0xffu] ^ kTables[2][(hi >> 8) & 0xffu] ^
           kTables[1][(hi >> 16) & 0xffu] ^ kTables[0][hi >> 24];
}

} // namespace

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
    crc = ~crc;
    const std::byte* p = data.data();
    std::size_t n = data.size();
    for (; n >= 8; n -= 8, p += 8)
        crc = step_8_bytes(crc, p);
    for (; n > 0; --n, ++p)
        crc = step_byte(crc, *p);
    return ~crc;
}

uint32_t crc32_bitwise(std::span<const std::byte> data, uint32_t crc) {
    crc = ~crc;
    for (std::byte b : data) {
        crc ^= static_cast<uint32_t>(b);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1) ? kPolynomial ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
}

} // namespace scx_custody::record
