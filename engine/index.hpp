#pragma once
/// Handles on an airm index: `Index` to read (one or several Xapian databases searched as one) and
/// `IndexWriter` to change one database under its lock, one transaction per command.

#include "engine/analysis/analyzer.hpp"
#include "engine/metadata.hpp"
#include "engine/record/record.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airm {

class Index;
class IndexWriter;

namespace detail {
struct IndexAccess;
}

/// A read-only view of one index, or of several shards searched as one. Cheap to move; reading
/// from several threads needs one Index per thread.
class Index {
  public:
    /// Opens the index in folder `path`, or the shards a Xapian stub file names (lines
    /// "remote HOST:PORT" for a shard served by `xapian-tcpsrv`, "auto FOLDER" for a local one).
    /// Throws NotFound, IndexError (not an index, corrupt, a shard server that cannot be reached)
    /// or VersionMismatch (another schema version), each naming the folder or server and the fix.
    [[nodiscard]] static Index open(const std::string& path);
    /// Opens several folders or stub files as one index; the shards must share schema version,
    /// analyzer, layout and facet slots. Remote shards must be in the remote-servable layout.
    [[nodiscard]] static Index open(const std::vector<std::string>& paths);

    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;
    ~Index();

    [[nodiscard]] const IndexMetadata& metadata() const;
    /// A fresh analyzer configured as the index was built.
    [[nodiscard]] Analyzer make_analyzer() const;
    [[nodiscard]] std::uint64_t record_count() const;
    /// The record with this id, or nullopt.
    [[nodiscard]] std::optional<Record> find(std::string_view id) const;
    /// Calls `visit` for every record: in index order, or in id order in the remote-servable
    /// layout (the same order from one index and from its shards).
    void for_each_record(const std::function<void(const Record&)>& visit) const;
    /// Up to `limit` ids that start with `start`, those matching its case first, then those that
    /// match it ignoring ASCII case; in id order. For naming the ids meant by an unknown one.
    [[nodiscard]] std::vector<std::string> ids_starting_with(std::string_view start,
                                                             std::size_t limit) const;
    /// The folders and stub files it was opened from.
    [[nodiscard]] const std::vector<std::string>& paths() const;
    /// Every database it reads, one per shard: its folder, or "HOST:PORT (STUB line N)".
    [[nodiscard]] const std::vector<std::string>& shard_names() const;
    /// How many of them are served by shard servers.
    [[nodiscard]] std::size_t remote_shards() const;
    /// Bytes used by the index files on local disks (remote shards are not counted).
    [[nodiscard]] std::uint64_t size_on_disk() const;
    /// The stored records' files: their bytes, and the part no current record uses (records since
    /// replaced or deleted, which `airm compact` reclaims).
    struct RecordSpace {
        std::uint64_t files = 0;
        std::uint64_t bytes = 0;
        std::uint64_t unused_bytes = 0;
    };
    [[nodiscard]] RecordSpace record_space() const;
    /// How many records carry each value of `facet` (hierarchical values count at every ancestor,
    /// once per record).
    [[nodiscard]] std::map<std::string, std::uint64_t> facet_counts(std::string_view facet) const;
    /// Moves to the latest committed state; true when it changed. Local databases are reopened on
    /// every call (a look at their version file); shard servers, where asking costs a round trip
    /// to each in turn, are asked at most once a second unless `force` (a read to run again
    /// because a commit overwrote what it read). The once-a-second stamp is atomic: callers on
    /// several threads never race on it and ask the servers once between them (reading the
    /// databases still needs one Index per thread). Const because the handle always shows one
    /// committed state of the same index; which one is not part of its value.
    bool refresh(bool force = false) const;

  private:
    struct Impl;
    explicit Index(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend struct detail::IndexAccess;
};

/// The single writer of one index folder. Opening takes the index's lock; every change stays
/// invisible and is discarded on destruction unless `commit()` is called.
class IndexWriter {
  public:
    /// Opens (creating when `create` is true and the folder is absent or empty) the index in
    /// `path`. Throws IndexError when another process holds the lock (after waiting up to `wait`
    /// for it) or the folder is not an index.
    [[nodiscard]] static IndexWriter
    open(const std::string& path, bool create,
         std::chrono::milliseconds wait = std::chrono::milliseconds(0));

    IndexWriter(IndexWriter&&) noexcept;
    IndexWriter& operator=(IndexWriter&&) noexcept;
    ~IndexWriter();

    [[nodiscard]] IndexMetadata& metadata();
    [[nodiscard]] const std::string& path() const;
    [[nodiscard]] std::uint64_t record_count() const;
    [[nodiscard]] bool contains(std::string_view id) const;
    [[nodiscard]] std::optional<Record> find(std::string_view id) const;
    /// Calls `visit` for every record, including uncommitted changes.
    void for_each_record(const std::function<void(const Record&)>& visit) const;
    /// Removes the record; false when no record has this id.
    bool remove(std::string_view id);
    /// Makes every change since opening (or the last commit) durable and visible, with the
    /// metadata.
    void commit();
    /// Discards every change since opening or the last commit.
    void cancel();

    /// What compact() did: the record files and their bytes before and after.
    struct CompactReport {
        std::uint64_t records = 0;
        std::uint64_t files_before = 0;
        std::uint64_t bytes_before = 0;
        std::uint64_t files_after = 0;
        std::uint64_t bytes_after = 0;
    };
    /// Reclaims the space of replaced and deleted records without the source files: copies every
    /// current record into a new record file, points the documents to it and commits (with any
    /// other change pending), then removes the old record files. Until the commit the index is
    /// unchanged; a failure leaves it as it was, and removes the new file.
    CompactReport compact();

  private:
    struct Impl;
    explicit IndexWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend struct detail::IndexAccess;
};

/// The write lock of an index folder, taken without reading the index (so of any schema version),
/// for jobs that replace a whole index (`airm index --rebuild`): no other writer can change the
/// index while it is held. Released on destruction.
class IndexLock {
  public:
    /// Locks the index in `path`; an absent path or an empty folder needs no lock. Throws
    /// IndexError naming `path` when it is a file, a folder of other files, or locked by another
    /// writer after waiting up to `wait`.
    [[nodiscard]] static IndexLock
    acquire(const std::string& path, std::chrono::milliseconds wait = std::chrono::milliseconds(0));

    IndexLock(IndexLock&&) noexcept;
    IndexLock& operator=(IndexLock&&) noexcept;
    ~IndexLock();
    /// Lets the lock go before destruction.
    void release();

  private:
    struct Impl;
    explicit IndexLock(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// True when `path` holds a Xapian database (it may still lack airm metadata).
[[nodiscard]] bool looks_like_index(const std::string& path);

} // namespace airm
