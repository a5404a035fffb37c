#pragma once
/// Internal to the query library (includes xapian.h): searching an index in the remote-servable
/// layout, whose shards may be served by a stock `xapian-tcpsrv`. Such a server runs only Xapian's
/// own classes, so wildcards are expanded here (as one index would expand them) and facets are
/// counted with Xapian's ValueCountMatchSpy, then rolled up here.

#include "query/search/detail/query_tree.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <xapian.h>

namespace airm::detail {

/// `node` with every wildcard replaced by a synonym of the terms it stands for: the `limit` most
/// frequent index terms with its prefix (all of them when 0), by their frequency over every shard.
/// Xapian expands OP_WILDCARD shard by shard, which would score each shard with its own terms.
/// `cache` (when given) keeps the expansions already made: each costs a round trip to every shard
/// server, and the terms change only with a commit.
using WildcardCache = std::map<std::pair<std::string, unsigned>, std::vector<std::string>>;
[[nodiscard]] QNode expand_wildcards(const QNode& node, const Xapian::Database& db,
                                     WildcardCache* cache = nullptr);

/// Xapian's ValueCountMatchSpy on each of some value slots, attached to an Enquire: counts the
/// stored combinations of values of every match that Enquire's next get_mset() sees. Used on the
/// main match of a relevance-order search, so counting facets over shard servers costs no extra
/// round trip.
class SlotSpies {
  public:
    SlotSpies(Xapian::Enquire& enquire, const std::vector<unsigned>& slots);
    /// Per slot (in the order given), how many matches hold each combination.
    [[nodiscard]] std::vector<std::map<std::string, std::uint64_t>> counts() const;

  private:
    std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies_;
};

/// Per value slot of `slots`, how many matches of `query` hold each stored combination of values
/// (the slot's whole value), counted in relevance order over every match; `total` gets the number
/// of matches. Relevance order, because Xapian 1.4.22 over-counts match spies under a value sort
/// over two or more remote shards.
[[nodiscard]] std::vector<std::map<std::string, std::uint64_t>>
count_slots(const Xapian::Database& db, const Xapian::Query& query,
            const std::vector<unsigned>& slots, std::uint64_t* total = nullptr);

/// The documents `dids` (docids of the database made of `shards`, in that order), each shard's
/// read in a thread of their own: over shard servers every read is a round trip, which Xapian
/// 1.4 does not pipeline, so this waits for the shard with the most. A document read from a
/// shard server holds its data and values: reading them costs no further round trip.
[[nodiscard]] std::vector<Xapian::Document> documents(const std::vector<Xapian::Database>& shards,
                                                      const std::vector<Xapian::docid>& dids);

/// What matched_parts() tells of a document.
struct MatchedParts {
    std::uint64_t parts = 0; ///< bit k: it matches parts[k]
    std::string value;       ///< its value in the slot asked for
};

/// Which of `parts` each document matching `docs` (at most `n` of them) matches, by docid, and
/// its value in `slot` (read as the match's sort keys). One match (each part weighs 2^k under
/// CoordWeight, the sum is the set) instead of one per part and a document read each: over
/// shard servers each is a round trip. Nothing when there are too many parts for a double's
/// bits, a weight does not read as such a set, or Xapian (or a shard server) refuses the match.
/// A part that is MatchAll (MatchAll weighs nothing to read) is matched by every document.
[[nodiscard]] std::optional<std::map<Xapian::docid, MatchedParts>>
matched_parts(const Xapian::Database& db, const Xapian::Query& docs,
              const std::vector<Xapian::Query>& parts, unsigned slot, std::size_t n);

/// The value in `slot` of the best documents of `query` under `weight` (those weighing at least
/// `least`, at most `n` of them), by docid, read as the sort keys of one match ordered by
/// relevance then that value: over shard servers, a round trip to every server at once where
/// reading the documents costs one each. Documents tied beyond the n-th are left out.
[[nodiscard]] std::map<Xapian::docid, std::string>
best_values(const Xapian::Database& db, const Xapian::Query& query, const Xapian::Weight& weight,
            unsigned slot, double least, std::size_t n);

/// Combination counts (count_slots) turned into counts per value: a record counts once under each
/// value of its combination (hierarchical values are stored with their ancestors).
[[nodiscard]] std::map<std::string, std::uint64_t>
per_value(const std::map<std::string, std::uint64_t>& combinations);

} // namespace airm::detail
