// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum zlib, gzip
// and PNG use, so recordings can be checked with common tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace scx_custody::record {

// Continues a CRC: crc32(b, crc32(a)) == crc32(a ++ b). Start with 0.
// ISA-L's crc32_gzip_refl(): carry-less multiply folding where the CPU has it
// (a record's 72 bytes in a few dozen instructions), tables where it does not.
uint32_t crc32(std::span<const std::byte> data, uint32_t crc = 0);

// The same CRC one bit at a time, straight from the polynomial: the reference
// the unit tests hold crc32() to. Slow; not for the recording path.
uint32_t crc32_bitwise(std::span<const std::byte> data, uint32_t crc = 0);

} // namespace scx_custody::record
