import Foundation
import Treefile

/// A scratch directory of small treefiles for one test, removed when the test ends.
final class TreefileFixture {
    let directory: String

    init() throws {
        let pattern = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("treefile-test-XXXXXX").path
        var template = Array(pattern.utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        directory = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes `contents` to `name` (which may have directories in it) and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Loads `name` from the fixture directory.
    func load(_ name: String, basearch: String = "x86_64", variables: [String: String] = [:]) throws -> Treefile {
        try TreefileLoader(basearch: basearch, variables: variables).load(path(name))
    }

    /// The `TreefileError` loading `name` throws, or nil (with a test failure) when it loads.
    func loadError(_ name: String, basearch: String = "x86_64", variables: [String: String] = [:]) -> TreefileError? {
        do {
            _ = try load(name, basearch: basearch, variables: variables)
            return nil
        } catch let error as TreefileError {
            return error
        } catch {
            return TreefileError(.syntax, file: nil, "unexpected error type: \(error)")
        }
    }
}
