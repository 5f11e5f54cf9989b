#include "pairing/event.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace scx_custody::pairing {

Comm make_comm(std::string_view name) {
    Comm comm{};
    const std::size_t n = std::min(name.size(), comm.size() - 1);
    std::copy_n(name.data(), n, comm.data());
    return comm;
}

namespace {

static_assert(sizeof(Comm) == 2 * sizeof(uint64_t));
static_assert(std::endian::native == std::endian::little,
              "the comm masks assume a little-endian host (as the ring buffer's byte order)");

// 0x80 in every byte of `word` that is zero, at least in the lowest such byte
// (higher ones may be false positives, which the caller never looks at).
constexpr uint64_t zero_bytes(uint64_t word) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    return (word - kOnes) & ~word & kHighs;
}

} // namespace

Comm canonical_comm(const Comm& raw) {
    uint64_t low;
    uint64_t high;
    std::memcpy(&low, raw.data(), sizeof low);
    std::memcpy(&high, raw.data() + sizeof low, sizeof high);
    high &= 0x00ffffffffffffffull; // the 16th byte is always the NUL
    const uint64_t low_zeros = zero_bytes(low);
    // Below the lowest zero byte's marker bit: that byte and all after it go.
    low &= low_zeros != 0 ? (low_zeros & (~low_zeros + 1)) - 1 : ~uint64_t{0};
    const uint64_t high_zeros = zero_bytes(high); // never 0: the last byte is
    high &= low_zeros != 0 ? 0 : (high_zeros & (~high_zeros + 1)) - 1;
    Comm comm;
    std::memcpy(comm.data(), &low, sizeof low);
    std::memcpy(comm.data() + sizeof low, &high, sizeof high);
    return comm;
}

std::string_view comm_view(const Comm& comm) {
    const auto last = comm.end() - 1; // a 16th character is never part of the name
    const auto end = std::find(comm.begin(), last, '\0');
    return std::string_view(comm.data(), static_cast<std::size_t>(end - comm.begin()));
}

} // namespace scx_custody::pairing
