#include "query/search/detail/similar.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"

#include <algorithm>
#include <map>

namespace airm::detail {
namespace {

/// Accepts the stem terms ("Z" + stem) of the record's own words: stems occurring in its title,
/// text or reasoning (not only in its source), no numbers, no stop words.
class OwnWords : public Xapian::ExpandDecider {
  public:
    OwnWords(const Xapian::Document& doc, const std::set<std::string>& stop_stems)
        : stop_(stop_stems) {
        // A stem counts unless all of its weight in the record ("Z" + stem) comes from the source
        // (the text's own stem terms are not stored, so this is asked of the whole weight).
        const std::string z(schema::kStemPrefix);
        const std::string source = schema::field_stem_term(schema::Field::source, "");
        const auto source_weight = schema::field_wdf(schema::Field::source);
        std::map<std::string, Xapian::termcount> in_source;
        for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
            const std::string t = *it;
            if (t.size() > source.size() && t.compare(0, source.size(), source) == 0)
                in_source[t.substr(source.size())] = it.get_wdf() * source_weight;
        }
        for (auto it = doc.termlist_begin(); it != doc.termlist_end(); ++it) {
            const std::string t = *it;
            if (t.size() <= z.size() || t.compare(0, z.size(), z) != 0)
                continue;
            const char first = t[z.size()];
            if (first >= 'A' && first <= 'Z')
                continue; // a per-field term
            const std::string stem = t.substr(z.size());
            auto src = in_source.find(stem);
            if (src == in_source.end() || it.get_wdf() > src->second)
                stems_.insert(stem);
        }
    }
    bool operator()(const std::string& term) const override {
        const std::string_view z = schema::kStemPrefix;
        if (term.size() < z.size() + 3 || term.compare(0, z.size(), z) != 0)
            return false;
        const std::string stem = term.substr(z.size());
        if (stems_.count(stem) == 0 || stop_.count(stem) != 0)
            return false;
        return std::none_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; });
    }

  private:
    const std::set<std::string>& stop_;
    std::set<std::string> stems_;
};

} // namespace

SimilarQuery similar_query(const Xapian::Database& db, std::string_view id,
                           const std::string& where, const std::set<std::string>& stop_stems) {
    const std::string id_term = schema::id_term(id);
    Xapian::PostingIterator post = db.postlist_begin(id_term);
    if (post == db.postlist_end(id_term)) {
        throw NotFound("no record with id '" + std::string(id) + "' in " + where +
                       "; find ids with 'airm search'");
    }
    Xapian::RSet rset;
    rset.add_document(*post);
    Xapian::Enquire enquire(db);
    OwnWords decider(db.get_document(*post), stop_stems);
    // Exact term frequencies: over several shards, each term's frequency in the whole collection,
    // as one index would weigh it.
    Xapian::ESet eset =
        enquire.get_eset(kSimilarTerms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);

    SimilarQuery out;
    std::vector<QNode> terms;
    const double top = eset.empty() ? 1.0 : eset.begin().get_weight();
    for (auto it = eset.begin(); it != eset.end(); ++it) {
        const std::string term = *it;
        // Each term counts as much as it tells this record apart (its expansion weight).
        terms.push_back(QNode::scaled(QNode::leaf(term), top > 0 ? it.get_weight() / top : 1.0));
        const std::string stem = term.substr(schema::kStemPrefix.size());
        out.highlight.stems.insert(stem);
        out.description += (out.description.empty() ? "" : " ") + stem;
    }
    if (terms.empty()) {
        out.query = QNode::none();
        out.description = "(the record has no words to compare)";
        return out;
    }
    out.query = QNode::combine(QOp::and_not,
                               {QNode::combine(QOp::or_, std::move(terms)), QNode::leaf(id_term)});
    return out;
}

} // namespace airm::detail
