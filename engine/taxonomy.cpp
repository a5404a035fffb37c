#include "engine/taxonomy.hpp"

#include "engine/codes.hpp"
#include "engine/error.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace airm {

using nlohmann::json;

bool Taxonomy::CodeOrder::operator()(std::string_view a, std::string_view b) const {
    return code_less(a, b);
}

void Taxonomy::add(TaxonomyNode node) {
    if (node.parent.empty()) {
        node.parent = parent_code(node.code);
    }
    auto it = nodes_.find(node.code);
    if (it == nodes_.end()) {
        std::string code = node.code;
        nodes_.emplace(std::move(code), std::move(node));
        return;
    }
    TaxonomyNode& have = it->second;
    if (have.name.empty())
        have.name = node.name;
    if (have.description.empty())
        have.description = node.description;
    if (have.examples.empty())
        have.examples = node.examples;
    have.from_data = have.from_data && node.from_data;
}

void Taxonomy::add_from_data(std::string_view code, std::string_view name) {
    for (const auto& ancestor : code_path(code)) {
        if (!contains(ancestor)) {
            TaxonomyNode node;
            node.code = ancestor;
            node.from_data = true;
            add(std::move(node));
        }
    }
    auto it = nodes_.find(code);
    if (it->second.name.empty()) {
        it->second.name = std::string(name);
    }
}

const TaxonomyNode* Taxonomy::find(std::string_view code) const {
    auto it = nodes_.find(code);
    return it == nodes_.end() ? nullptr : &it->second;
}

std::string Taxonomy::name_of(std::string_view code) const {
    const auto* node = find(code);
    return node ? node->name : std::string();
}

std::vector<std::string> Taxonomy::children(std::string_view code) const {
    std::vector<std::string> out;
    for (const auto& [c, node] : nodes_) {
        if (node.parent == code) {
            out.push_back(c);
        }
    }
    return out;
}

std::vector<std::string> Taxonomy::roots() const {
    return children("");
}

std::vector<std::string> Taxonomy::codes() const {
    std::vector<std::string> out;
    out.reserve(nodes_.size());
    for (const auto& entry : nodes_) {
        out.push_back(entry.first);
    }
    return out;
}

bool Taxonomy::curated() const {
    return std::any_of(nodes_.begin(), nodes_.end(),
                       [](const auto& e) { return !e.second.from_data; });
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::vector<std::string> Taxonomy::nearest(std::string_view code, std::size_t limit) const {
    // Siblings first (numerically closest last segment), then other codes by edit distance.
    const std::string parent = parent_code(code);
    const std::string_view last =
        code.substr(code.rfind('.') == std::string_view::npos ? 0 : code.rfind('.') + 1);
    auto number = [](std::string_view s) -> long {
        if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit))
            return -1;
        return std::stol(std::string(s));
    };
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& [c, node] : nodes_) {
        std::size_t score = 1000 + edit_distance(code, c);
        if (node.parent == parent && !node.from_data) {
            std::string_view mine = std::string_view(c).substr(
                c.rfind('.') == std::string::npos ? 0 : c.rfind('.') + 1);
            long a = number(last);
            long b = number(mine);
            score = (a >= 0 && b >= 0) ? static_cast<std::size_t>(std::labs(a - b))
                                       : 100 + edit_distance(last, mine);
        }
        scored.emplace_back(score, c);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && out.size() < limit; ++i) {
        out.push_back(scored[i].second);
    }
    return out;
}

std::string Taxonomy::to_json() const {
    // Ordered, so that the saved file starts with its format name and version.
    using ordered = nlohmann::ordered_json;
    ordered nodes = ordered::array();
    for (const auto& [code, node] : nodes_) {
        ordered n = {{"code", code}, {"name", node.name}};
        if (!node.parent.empty() && node.parent != parent_code(code))
            n["parent"] = node.parent;
        if (!node.description.empty())
            n["description"] = node.description;
        if (!node.examples.empty())
            n["examples"] = node.examples;
        if (node.from_data)
            n["from_data"] = true;
        nodes.push_back(std::move(n));
    }
    ordered out = {{"format", "airm-taxonomy"}, {"version", 1}, {"facet", facet_}};
    if (!title_.empty())
        out["title"] = title_;
    out["nodes"] = std::move(nodes);
    return out.dump(2);
}

Taxonomy Taxonomy::from_json(std::string_view text, std::string_view where) {
    try {
        return from_json_unchecked(text, where);
    } catch (const json::exception& e) {
        throw InvalidInput(
            std::string(where) + ": a taxonomy field has the wrong type (" + e.what() +
            "); codes, names and descriptions are strings, examples a list of strings");
    }
}

Taxonomy Taxonomy::from_json_unchecked(std::string_view text, std::string_view where) {
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        throw InvalidInput(std::string(where) + ": malformed JSON (" + e.what() + ")");
    }
    if (!doc.is_object() || doc.value("format", "") != "airm-taxonomy") {
        throw InvalidInput(std::string(where) +
                           ": not an airm taxonomy file (expected \"format\": \"airm-taxonomy\")");
    }
    int version = doc.value("version", 0);
    if (version != 1) {
        throw VersionMismatch(std::string(where) + ": taxonomy format version " +
                              std::to_string(version) +
                              " is not supported; this airm reads version 1");
    }
    Taxonomy taxonomy(doc.value("facet", "category"));
    taxonomy.set_title(doc.value("title", ""));
    const json& nodes = doc.contains("nodes") ? doc["nodes"] : json::array();
    if (!nodes.is_array()) {
        throw InvalidInput(std::string(where) +
                           ": \"nodes\" must be a list of {\"code\", \"name\", ...}");
    }
    std::size_t index = 0;
    for (const auto& n : nodes) {
        ++index;
        std::string at = std::string(where) + ": node " + std::to_string(index);
        if (!n.is_object() || !n.contains("code") || !n["code"].is_string()) {
            throw InvalidInput(at + " has no string \"code\"; every node needs one, e.g. \"3.1\"");
        }
        TaxonomyNode node;
        node.code = n["code"].get<std::string>();
        if (!is_taxonomy_code(node.code)) {
            throw InvalidInput(
                at + ": code '" + node.code +
                "' is not a dotted code; write codes like \"3\", \"3.1\" or \"3.1.2\"");
        }
        node.name = n.value("name", "");
        node.parent = n.value("parent", "");
        node.description = n.value("description", "");
        node.from_data = n.value("from_data", false);
        if (n.contains("examples")) {
            const json& ex = n["examples"];
            if (ex.is_string()) {
                node.examples.push_back(ex.get<std::string>());
            } else if (ex.is_array()) {
                for (const auto& e : ex) {
                    if (e.is_string())
                        node.examples.push_back(e.get<std::string>());
                }
            }
        }
        taxonomy.add(std::move(node));
    }
    return taxonomy;
}

} // namespace airm
