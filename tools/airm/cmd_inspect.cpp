#include "cli_context.hpp"
#include "commands.hpp"
#include "engine/codes.hpp"
#include "engine/error.hpp"
#include "inspect_json.hpp"
#include "query/search/record_view.hpp"
#include "table_output.hpp"
#include "terminal.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

namespace airm::cli {
namespace {

using nlohmann::json;

void print_record(const Record& record, const IndexMetadata& metadata) {
    std::cout << bold(record.id) << "  " << bold(record.title) << "\n\n";
    if (!record.text.empty())
        std::cout << record.text << "\n\n";
    if (!record.reasoning.empty())
        std::cout << dim("reasoning: ") << record.reasoning << "\n\n";
    for (const auto& [facet, values] : record.facets) {
        const Taxonomy* taxonomy = metadata.taxonomy(facet);
        std::cout << dim(facet + ": ");
        for (std::size_t i = 0; i < values.size(); ++i) {
            std::cout << (i ? "; " : "") << values[i];
            if (taxonomy) {
                if (auto name = taxonomy->name_of(values[i]); !name.empty())
                    std::cout << ' ' << name;
            }
        }
        std::cout << '\n';
    }
    if (auto line = source_line(record.source); !line.empty()) {
        std::cout << dim("source: ") << line << '\n';
    }
    if (!record.source.url.empty())
        std::cout << dim("url: ") << record.source.url << '\n';
}

void print_tree(const json& nodes, int depth) {
    for (const auto& n : nodes) {
        std::cout << std::string(static_cast<std::size_t>(depth) * 2, ' ')
                  << bold(n["value"].get<std::string>()) << ' ' << n["name"].get<std::string>()
                  << ' ' << dim("(" + std::to_string(n["count"].get<std::uint64_t>()) + ")")
                  << '\n';
        print_tree(n["children"], depth + 1);
    }
}

} // namespace

std::string unknown_id_hint(const Index& index, std::string_view id) {
    constexpr std::size_t kShown = 5;
    // Ids that start with what was typed; else with its start, shortened while nothing matches
    // (a typo at the end), down to 2 characters.
    std::string start(id);
    std::vector<std::string> ids;
    while (start.size() >= 2) {
        ids = index.ids_starting_with(start, kShown + 1);
        if (!ids.empty())
            break;
        unsigned char dropped = 0; // a whole UTF-8 character
        do {
            dropped = static_cast<unsigned char>(start.back());
            start.pop_back();
        } while (!start.empty() && (dropped & 0xC0) == 0x80);
    }
    if (ids.empty())
        return "; find ids with 'airm search'";
    std::string list;
    for (std::size_t i = 0; i < ids.size() && i < kShown; ++i)
        list += (list.empty() ? "" : ", ") + ids[i];
    if (ids.size() > kShown)
        list += ", ...";
    return "; ids that start with '" + start + "': " + list;
}

void register_inspect_commands(CLI::App& app) {
    {
        struct Args {
            std::string db, id;
            bool json = false;
            TableArgs table;
        };
        auto args = std::make_shared<Args>();
        CLI::App* show = app.add_subcommand("show", "Show one record");
        add_db_option(*show, args->db);
        show->add_option("id", args->id, "Record id")->required();
        show->add_flag("--json", args->json, "Print JSON");
        add_table_options(*show, args->table, "--format,--output-format",
                          "id, title, text, reasoning, codes, any facet (category, actor, ...), "
                          "source, authors, year, url (default: all)");
        show->callback([args]() {
            check_fields_need_table(args->table, "show");
            Index index = open_index(args->db);
            auto record = index.find(args->id);
            if (!record) {
                throw NotFound("no record with id '" + args->id + "' in " + index.paths().front() +
                               unknown_id_hint(index, args->id));
            }
            if (args->table.table()) {
                std::cout << record_table(*record, index.metadata(), args->table);
            } else if (args->json || args->table.format == "json") {
                std::cout << record_view(*record, index.metadata()).dump(2) << '\n';
            } else {
                print_record(*record, index.metadata());
            }
        });
    }
    {
        struct Args {
            std::string db;
            bool json = false;
        };
        auto args = std::make_shared<Args>();
        CLI::App* stats =
            app.add_subcommand("stats", "Records, facet value counts and size on disk");
        add_db_option(*stats, args->db);
        stats->add_flag("--json", args->json, "Print JSON");
        stats->callback([args]() {
            Index index = open_index(args->db);
            const IndexMetadata& meta = index.metadata();
            const Index::RecordSpace space = index.record_space();
            json out = stats_json(index);
            const json& facets = out["facets"];
            if (args->json) {
                std::cout << out.dump(2) << '\n';
                return;
            }
            std::cout << bold("index ") << index.paths().front() << "\n  "
                      << with_commas(index.record_count()) << " records, "
                      << human_bytes(index.size_on_disk()) << " on disk, schema version "
                      << meta.schema_version << ", language " << meta.analyzer.language << '\n';
            if (meta.servable() || index.shard_names().size() > 1) {
                std::cout << "  layout " << (meta.servable() ? "remote-servable" : "local");
                if (index.shard_names().size() == 1 && meta.shard)
                    std::cout << ", shard " << meta.shard->to_string();
                else
                    std::cout << ", " << index.shard_names().size() << " shards ("
                              << index.remote_shards() << " served by shard servers)";
                std::cout << '\n';
            }
            if (space.unused_bytes > 0) {
                std::cout << "  " << human_bytes(space.unused_bytes) << " of its "
                          << human_bytes(space.bytes)
                          << " of stored records belong to records since replaced or deleted (or "
                             "never committed); 'airm compact --db "
                          << index.paths().front() << "' reclaims them\n";
            }
            for (const auto& [name, facet] : facets.items()) {
                std::cout << '\n'
                          << bold(name)
                          << (facet["hierarchical"].get<bool>() ? " (hierarchical)" : "") << '\n';
                if (facet["hierarchical"].get<bool>()) {
                    print_tree(facet["values"], 1);
                } else {
                    for (const auto& v : facet["values"]) {
                        std::cout << "  " << v["value"].get<std::string>() << ' '
                                  << dim("(" + std::to_string(v["count"].get<std::uint64_t>()) +
                                         ")")
                                  << '\n';
                    }
                }
            }
        });
    }
    {
        struct Args {
            std::string db, facet = "category";
            bool json = false;
        };
        auto args = std::make_shared<Args>();
        CLI::App* tax =
            app.add_subcommand("taxonomy", "The taxonomy tree of a facet, with record counts");
        add_db_option(*tax, args->db);
        tax->add_option("--facet", args->facet, "Hierarchical facet")->capture_default_str();
        tax->add_flag("--json", args->json, "Print JSON");
        tax->callback([args]() {
            Index index = open_index(args->db);
            json out = taxonomy_json(index, args->facet);
            const Taxonomy* taxonomy = index.metadata().taxonomy(args->facet);
            const json& tree = out["tree"];
            if (args->json) {
                std::cout << out.dump(2) << '\n';
            } else {
                if (!taxonomy->title().empty())
                    std::cout << bold(taxonomy->title()) << '\n';
                print_tree(tree, 0);
            }
        });
    }
}

} // namespace airm::cli
