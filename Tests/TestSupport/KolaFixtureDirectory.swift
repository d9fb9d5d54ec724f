import Foundation

/// A scratch directory for fixture trees, removed when the test ends.
public final class KolaFixtureDirectory {
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kola-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `relativePath`, creating directories, with the given mode.
    @discardableResult
    public func write(_ relativePath: String, _ text: String, mode: Int = 0o644) throws -> String {
        let file = "\(path)/\(relativePath)"
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    /// Writes an executable shell script (mode 0755) whose lines are `lines`.
    @discardableResult
    public func script(_ relativePath: String, _ lines: String...) throws -> String {
        try write(relativePath, (["#!/bin/bash"] + lines + ["true"]).joined(separator: "\n") + "\n", mode: 0o755)
    }
}
