#pragma once
/// Internal to the query library (includes xapian.h): searching an index in the remote-servable
/// layout, whose shards may be served by a stock `xapian-tcpsrv`. Such a server runs only Xapian's
/// own classes, so wildcards are expanded here (as one index would expand them) and facets are
/// counted with Xapian's ValueCountMatchSpy, then rolled up here.

#include "query/search/detail/query_tree.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// `node` with every wildcard replaced by a synonym of the terms it stands for: the `limit` most
/// frequent index terms with its prefix (all of them when 0), by their frequency over every shard.
/// Xapian expands OP_WILDCARD shard by shard, which would score each shard with its own terms.
[[nodiscard]] QNode expand_wildcards(const QNode& node, const Xapian::Database& db);

/// Per value slot of `slots`, how many matches of `query` hold each stored combination of values
/// (the slot's whole value), counted in relevance order over every match; `total` gets the number
/// of matches. Relevance order, because Xapian 1.4.22 over-counts match spies under a value sort
/// over two or more remote shards.
[[nodiscard]] std::vector<std::map<std::string, std::uint64_t>>
count_slots(const Xapian::Database& db, const Xapian::Query& query,
            const std::vector<unsigned>& slots, std::uint64_t* total = nullptr);

/// Combination counts (count_slots) turned into counts per value: a record counts once under each
/// value of its combination (hierarchical values are stored with their ancestors).
[[nodiscard]] std::map<std::string, std::uint64_t>
per_value(const std::map<std::string, std::uint64_t>& combinations);

} // namespace airm::detail
