#include "engine/analysis/detail/stem_cache.hpp"

#include <functional>
#include <utility>

namespace airm::detail {

namespace {
constexpr std::size_t kInitialSlots = 1024; // a power of two; the table doubles past half full
}

StemCache::StemCache(std::size_t max_entries) : slots_(kInitialSlots), max_entries_(max_entries) {}

const std::string* StemCache::find(std::string_view word) const {
    const std::uint64_t hash = std::hash<std::string_view>{}(word);
    for (std::size_t i = home(hash);; i = (i + 1) & (slots_.size() - 1)) {
        const Slot& slot = slots_[i];
        if (!slot.used) {
            return nullptr;
        }
        if (slot.hash == hash && slot.word == word) {
            return &slot.stem;
        }
    }
}

const std::string& StemCache::insert(std::string_view word, std::string stem) {
    if (size_ >= max_entries_) {
        for (Slot& slot : slots_) {
            slot = Slot{};
        }
        size_ = 0;
    } else if (2 * (size_ + 1) > slots_.size()) {
        rehash(2 * slots_.size());
    }
    const std::uint64_t hash = std::hash<std::string_view>{}(word);
    std::size_t i = home(hash);
    while (slots_[i].used) {
        i = (i + 1) & (slots_.size() - 1);
    }
    Slot& slot = slots_[i];
    slot.hash = hash;
    slot.word.assign(word);
    slot.stem = std::move(stem);
    slot.used = true;
    ++size_;
    return slot.stem;
}

void StemCache::rehash(std::size_t capacity) {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (Slot& slot : old) {
        if (!slot.used) {
            continue;
        }
        std::size_t i = home(slot.hash);
        while (slots_[i].used) {
            i = (i + 1) & (slots_.size() - 1);
        }
        slots_[i] = std::move(slot);
    }
}

} // namespace airm::detail
