#pragma once
/// The analyzer's memory of words already stemmed. A vocabulary repeats far more than it grows, and
/// stemming a word costs more than looking it up; the table is flat (open addressing) so that a
/// lookup usually reads one slot rather than a bucket and a node elsewhere in memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airm::detail {

class StemCache {
  public:
    /// Holds at most `max_entries` words; when full, it is emptied and fills again.
    explicit StemCache(std::size_t max_entries);

    /// The stem stored for `word`, or nullptr when `word` is not cached. The pointer is valid until
    /// the next insert.
    [[nodiscard]] const std::string* find(std::string_view word) const;
    /// Stores the stem of `word`, which find() did not return, and returns the stored stem (valid
    /// until the next insert).
    const std::string& insert(std::string_view word, std::string stem);
    [[nodiscard]] std::size_t size() const { return size_; }

  private:
    struct Slot {
        std::uint64_t hash = 0;
        std::string word;
        std::string stem;
        bool used = false;
    };
    [[nodiscard]] std::size_t home(std::uint64_t hash) const { return hash & (slots_.size() - 1); }
    void rehash(std::size_t capacity);

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    std::size_t max_entries_;
};

} // namespace airm::detail
