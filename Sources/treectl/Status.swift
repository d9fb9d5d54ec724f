import ArgumentParser
import Deploy
import Foundation
import OSTree

/// `treectl status`: the deployments, newest (next boot) first, in rpm-ostree's words and
/// its `--json` schema.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the deployments.")

    @OptionGroup var options: SysrootOptions

    @Flag(help: "Print rpm-ostree's status JSON on stdout.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show more about each deployment.")
    var verbose = false

    func run() throws {
        let client = try options.openClient()
        let entries = try client.sysroot.deployments().map { try entry(for: $0, client: client) }
        if json {
            try printJSON(["deployments": entries])
            return
        }
        print("State: idle")
        print("Deployments:")
        for entry in entries {
            let marker = entry["booted"] as? Bool == true ? "●" : " "
            print("\(marker) \(entry["origin"] as? String ?? "")")
            func line(_ label: String, _ value: String) {
                print(String(repeating: " ", count: max(0, 25 - label.count)) + label + ": " + value)
            }
            if let version = entry["version"] as? String { line("Version", version) }
            if entry["base-checksum"] as? String != entry["checksum"] as? String {
                line("BaseCommit", entry["base-checksum"] as? String ?? "")
            }
            line("Commit", entry["checksum"] as? String ?? "")
            if verbose {
                line("OSName", entry["osname"] as? String ?? "")
                line("Serial", "\(entry["serial"] as? Int ?? 0)")
            }
            if entry["pinned"] as? Bool == true { line("Pinned", "yes") }
            for (key, label) in [("base-removals", "RemovedBasePackages"), ("base-local-replacements", "LocalReplacedPackages"),
                                 ("requested-packages", "LayeredPackages"), ("requested-local-packages", "LocalPackages")] {
                if let values = entry[key] as? [String], !values.isEmpty { line(label, values.joined(separator: " ")) }
            }
        }
    }

    /// One deployment in rpm-ostree's status schema.
    private func entry(for deployment: OSTreeDeployment, client: Client) throws -> [String: Any] {
        let commit = try? client.repository.commit(deployment.checksum)
        let origin = try? client.origin(of: deployment)
        var entry: [String: Any] = [
            "id": deployment.id,
            "osname": deployment.osName,
            "serial": deployment.serial,
            "checksum": deployment.checksum,
            "base-checksum": (try? client.baseCommit(of: deployment.checksum)) ?? deployment.checksum,
            "origin": origin?.refspec ?? "",
            "booted": deployment.isBooted,
            "staged": deployment.isStaged,
            "pinned": deployment.isPinned,
            "requested-packages": origin?.requestedPackages ?? [],
            "requested-local-packages": origin?.requestedLocalPackages.map(\.nevra) ?? [],
            "base-removals": origin?.removedBasePackages ?? [],
            "base-local-replacements": origin?.replacedBasePackages.map(\.nevra) ?? [],
            "timestamp": commit?.timestamp ?? 0,
        ]
        if let version = commit?.metadata["version"]?.stringValue { entry["version"] = version }
        if let kernelArguments = deployment.kernelArguments { entry["kernel-arguments"] = kernelArguments }
        if let overrideCommit = origin?.overrideCommit { entry["override-commit"] = overrideCommit }
        return entry
    }
}
