#pragma once
/// The Xapian databases behind Index and IndexWriter, for the indexer and query libraries only.
/// Tools never include this header: Xapian types stay behind the engine, indexer and query APIs.

#include "engine/index.hpp"

#include <xapian.h>

namespace airm::detail {

struct IndexAccess {
    [[nodiscard]] static const Xapian::Database& database(const Index& index);
    [[nodiscard]] static Xapian::WritableDatabase& database(IndexWriter& writer);
};

/// Converts a Xapian exception into the airm error that explains it for `path`.
[[noreturn]] void rethrow_xapian(const Xapian::Error& error, std::string_view path);

} // namespace airm::detail
