import ArgumentParser
import Foundation
import Kola
import Scenarios
import ToolSupport

/// `harness list`: the tests `harness run` knows.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the scenarios and kola-style tests that harness run can run.")

    @Option(name: .customShort("E"), help: ArgumentHelp("List the kola external tests of this directory instead; repeatable.", valueName: "dir"))
    var externalDirectories: [String] = []

    @Option(name: .customShort("S"), help: ArgumentHelp("Add the scenarios (*.yaml) of this directory; repeatable.", valueName: "dir"))
    var scenarioDirectories: [String] = []

    @Option(help: "The harness checkout with scenarios/ (default: found from the current directory).")
    var project: String?

    @Option(help: "The distribution kola tests' distros key is matched against, as harness run --distro.")
    var distro: String?

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func run() throws {
        let catalog = try TestCatalog.load(project: try projectLayout(project), externalDirectories: externalDirectories.map(absolute),
                                           scenarioDirectories: scenarioDirectories.map(absolute))
        catalog.warnings.forEach(Console.warning)
        // What harness run (with no --tag or test names) would leave out, and what it cannot honour.
        let target = KolaTarget(distribution: distro)
        let skipped = catalog.entries.reduce(into: [String: String]()) { skipped, entry in
            guard case .external(let test) = entry else { return }
            KolaTarget.warnings(for: test).forEach(Console.warning)
            skipped[entry.name] = target.skipReason(for: test)
        }
        if json {
            let entries: [[String: Any]] = catalog.entries.map { entry in
                var fields: [String: Any] = ["name": entry.name, "kind": entry.kind, "tags": entry.tags, "description": entry.description,
                                             "exclusive": entry.exclusive, "memory": entry.memoryMiB]
                fields["skip"] = skipped[entry.name]
                return fields
            }
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let width = catalog.entries.map(\.name.count).max() ?? 0
        for entry in catalog.entries {
            let tags = entry.tags.isEmpty ? "" : " [" + entry.tags.joined(separator: ", ") + "]"
            let summary = entry.description.split(separator: "\n").first.map(String.init) ?? ""
            let skip = skipped[entry.name].map { " (skipped: \($0))" } ?? ""
            print(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + summary + tags + skip)
        }
    }
}
