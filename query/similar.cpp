#include "query/similar.hpp"

#include "engine/error.hpp"
#include "engine/schema.hpp"

namespace airm::detail {
namespace {

/// Accepts the unprefixed stem terms ("Z" + stem) of real words: not field terms, not numbers.
class StemTermsOnly : public Xapian::ExpandDecider {
public:
    bool operator()(const std::string& term) const override {
        const std::string_view z = schema::kStemPrefix;
        if (term.size() < z.size() + 3 || term.compare(0, z.size(), z) != 0) return false;
        const char first = term[z.size()];
        if (first >= 'A' && first <= 'Z') return false; // a field's stem term ("ZS...", "ZXT...")
        for (std::size_t i = z.size(); i < term.size(); ++i) {
            if (term[i] >= '0' && term[i] <= '9') return false;
        }
        return true;
    }
};

} // namespace

SimilarQuery similar_query(const Xapian::Database& db, std::string_view id, const std::string& where) {
    const std::string id_term = schema::id_term(id);
    Xapian::PostingIterator post = db.postlist_begin(id_term);
    if (post == db.postlist_end(id_term)) {
        throw NotFound("no record with id '" + std::string(id) + "' in " + where + "; find ids with 'airm search'");
    }
    Xapian::RSet rset;
    rset.add_document(*post);
    Xapian::Enquire enquire(db);
    StemTermsOnly decider;
    Xapian::ESet eset = enquire.get_eset(kSimilarTerms, rset, &decider);

    SimilarQuery out;
    std::vector<QNode> terms;
    for (auto it = eset.begin(); it != eset.end(); ++it) {
        const std::string term = *it;
        terms.push_back(QNode::leaf(term));
        const std::string stem = term.substr(schema::kStemPrefix.size());
        out.highlight.stems.insert(stem);
        out.description += (out.description.empty() ? "" : " ") + stem;
    }
    if (terms.empty()) {
        out.query = QNode::none();
        out.description = "(the record has no words to compare)";
        return out;
    }
    out.query = QNode::combine(QOp::and_not, {QNode::combine(QOp::or_, std::move(terms)), QNode::leaf(id_term)});
    return out;
}

} // namespace airm::detail
