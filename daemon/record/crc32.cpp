#include "record/crc32.h"

#include <isa-l/crc.h>

namespace scx_custody::record {
namespace {

constexpr uint32_t kPolynomial = 0xedb88320u; // reflected 0x04C11DB7

} // namespace

uint32_t crc32(std::span<const std::byte> data, uint32_t crc) {
    // crc32_gzip_refl() complements the CRC on the way in and out, as zlib's
    // crc32() does, so the value continues a previous call's.
    return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
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
