#pragma once
/// Readers for the server's worker threads: an Index is read by one thread at a time, so the pool
/// lends each request its own Index with a Searcher, refreshed to the latest commit on loan (a
/// reader sees a commit on its next request). At most `max_readers` exist: searches are CPU-bound,
/// so more readers than cores add no speed, while each holds its own in-memory columns and rebuilds
/// them after every commit (on the 100,000-record index under a writer, 20 readers spent 90 ms of
/// CPU a search doing so); a request finding none free waits for one. Suggestion models are shared,
/// one per facet, and retrained when the index changed since they were built.

#include "engine/index.hpp"
#include "query/search/searcher.hpp"
#include "query/suggest/suggest.hpp"

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace airm::http {

/// One thread's view of the index.
struct Reader {
    Index index;
    std::unique_ptr<Searcher> searcher; ///< keeps facet columns in memory; rebuilt after a commit
};

class ReaderPool {
  public:
    /// Opens the index in `db` once (throws as Index::open); `synonyms_file` may be empty;
    /// `max_readers` at least 1.
    ReaderPool(std::string db, const std::string& synonyms_file, std::size_t max_readers);

    /// A reader for this request, at the latest commit; returned to the pool on destruction.
    class Lease {
      public:
        Lease(ReaderPool& pool, std::unique_ptr<Reader> reader);
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Reader& operator*() const { return *reader_; }
        Reader* operator->() const { return reader_.get(); }
        /// Moves the reader to the latest commit, rebuilding its Searcher when it changed. Shard
        /// servers are asked at most once a second unless `force` (after IndexChanged), as
        /// Index::refresh does.
        void refresh(bool force = false);

      private:
        ReaderPool* pool_;
        std::unique_ptr<Reader> reader_;
    };

    [[nodiscard]] Lease acquire();
    [[nodiscard]] const std::string& db() const { return db_; }
    [[nodiscard]] std::size_t opened() const;

  private:
    [[nodiscard]] std::unique_ptr<Searcher> make_searcher(const Index& index) const;
    std::string db_;
    SearcherOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable returned_; ///< a lease gave its reader back
    std::vector<std::unique_ptr<Reader>> free_;
    std::size_t opened_ = 0;
    std::size_t max_readers_;
};

/// The suggestion model of each facet, shared by every thread (one suggestion at a time per
/// model: its analyzer is not thread-safe).
class SuggesterCache {
  public:
    /// `save`: store a model trained here beside the index (the server may write).
    explicit SuggesterCache(bool save) : save_(save) {}

    struct Entry {
        std::mutex mutex; ///< held while suggesting
        std::unique_ptr<Suggester> suggester;
        std::string fingerprint;
    };

    /// The model of `facet` for the current state of `index`: the cached one, else the saved one,
    /// else (missing or stale) one trained now. Throws as train_for_index (e.g. no labelled
    /// records) or NotFound for an unknown facet.
    [[nodiscard]] std::shared_ptr<Entry> get(const Index& index, const std::string& facet);
    /// Trains and (when allowed) saves the model of `facet` now, replacing the cached one.
    [[nodiscard]] std::shared_ptr<Entry> retrain(const Index& index, const std::string& facet);

  private:
    bool save_;
    std::mutex mutex_; ///< guards entries_ and serialises training
    std::map<std::string, std::shared_ptr<Entry>> entries_;
};

} // namespace airm::http
