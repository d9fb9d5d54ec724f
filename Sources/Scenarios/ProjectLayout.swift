import Foundation

/// Where a harness checkout keeps what `harness run` needs: `scenarios/` (scenario files and
/// their treefiles and fixtures), `kola-like/` (in-guest tests) and the default image's
/// treefile.
public struct ProjectLayout: Sendable {
    public var root: String

    public var scenariosDirectory: String { root + "/scenarios" }
    /// Treefiles the scenarios compose by name (`compose: next` → `next.yaml`).
    public var scenarioTreefilesDirectory: String { scenariosDirectory + "/treefiles" }
    public var kolaLikeDirectory: String { root + "/kola-like" }
    public var defaultTreefile: String { root + "/images/debian-bookworm/treefile.yaml" }

    public init(root: String) { self.root = root }

    /// The checkout around `start` (the current directory, then the directory of the running
    /// executable): the first directory upwards holding `scenarios/` and the default image.
    public static func find(from starts: [String]) throws -> ProjectLayout {
        for start in starts {
            var directory = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let layout = ProjectLayout(root: directory.path)
                if FileManager.default.fileExists(atPath: layout.defaultTreefile),
                   FileManager.default.fileExists(atPath: layout.scenariosDirectory) {
                    return layout
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw ScenarioError("no harness checkout (scenarios/ and images/debian-bookworm/treefile.yaml) above \(starts.joined(separator: " or ")); pass --project DIR")
    }
}
