#pragma once
/// The Xapian databases behind Index and IndexWriter, for the indexer and query libraries only.
/// Tools never include this header: Xapian types stay behind the engine, indexer and query APIs.

#include "engine/index.hpp"
#include "engine/record/store.hpp"

#include <vector>
#include <xapian.h>

namespace airm::detail {

struct IndexAccess {
    [[nodiscard]] static const Xapian::Database& database(const Index& index);
    [[nodiscard]] static Xapian::WritableDatabase& database(IndexWriter& writer);
    /// The databases `database(index)` is made of, one per shard (local or remote).
    [[nodiscard]] static const std::vector<Xapian::Database>& shards(const Index& index);
    /// Where the writer's new records go (document_builder stores their pointers).
    [[nodiscard]] static RecordStoreWriter& records(IndexWriter& writer);
    /// The stored bytes (compress_record's form) of document `did`, whose kSlotRecord value is
    /// `pointer`; valid until the next read through `index`. `where` names the document in errors.
    [[nodiscard]] static std::string_view stored_record(const Index& index, Xapian::docid did,
                                                        std::string_view pointer,
                                                        std::string_view where);
    /// The same for a decoded pointer.
    [[nodiscard]] static std::string_view stored_record(const Index& index, Xapian::docid did,
                                                        const RecordPointer& pointer,
                                                        std::string_view where);
};

/// True when a DatabaseLockError means another process holds the write lock (not a lock file
/// that cannot be opened).
[[nodiscard]] bool held_by_another(const Xapian::Error& error);
/// Converts a Xapian exception into the airm error that explains it for `path`.
[[noreturn]] void rethrow_xapian(const Xapian::Error& error, std::string_view path);

} // namespace airm::detail
