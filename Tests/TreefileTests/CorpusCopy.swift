import Foundation

/// A writable copy of one corpus snapshot in which the symlinks that this machine's copy of the
/// corpus holds as plain files (a one-line file whose text is the link target, as git writes a
/// symlink when it cannot make one) are symlinks again.
final class CorpusCopy {
    let directory: String
    /// Paths, relative to `directory`, turned back into symlinks.
    private(set) var restoredLinks: [String] = []

    init(of snapshot: String) throws {
        let fixture = try TreefileFixture()
        self.fixture = fixture
        directory = fixture.directory
        let files = FileManager.default.enumerator(atPath: snapshot)?.compactMap { $0 as? String } ?? []
        for file in files.sorted() {
            let source = snapshot + "/" + file
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: source) else { continue }
            let target = directory + "/" + file
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            if let link = Self.linkTarget(data, besides: source) {
                try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: link)
                restoredLinks.append(file)
            } else {
                try data.write(to: URL(fileURLWithPath: target))
            }
        }
    }

    /// The link target when `data` is a symlink stored as a file: one line, no YAML or JSON
    /// syntax, naming a file that exists relative to the stub.
    private static func linkTarget(_ data: Data, besides stub: String) -> String? {
        guard data.count < 256, let text = String(data: data, encoding: .utf8),
              !text.contains("\n"), !text.contains(":"), !text.contains("{"),
              text.hasSuffix(".yaml") || text.hasSuffix(".yml") || text.hasSuffix(".json") else { return nil }
        let resolved = (stub as NSString).deletingLastPathComponent + "/" + text
        return FileManager.default.fileExists(atPath: resolved) ? text : nil
    }

    private let fixture: TreefileFixture
}
