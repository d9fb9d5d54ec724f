import Foundation

/// The outcome of a program run to completion.
public struct ProgramResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }

    /// The last lines the program printed (stderr, then stdout), joined on one line, for an
    /// error message.
    public func outputTail(lines: Int = 3, includingStdout: Bool = true) -> String {
        (stderr + (includingStdout ? stdout : "")).lastLinesOnOneLine(lines)
    }
}

extension String {
    /// The last `count` lines, joined with ` | `: a command's output inside a one-line error.
    public func lastLinesOnOneLine(_ count: Int) -> String {
        split(whereSeparator: \.isNewline).suffix(count).joined(separator: " | ")
    }
}

/// A program that exited non-zero, with what it printed.
public struct ProgramFailure: Error, CustomStringConvertible {
    public var command: [String]
    public var result: ProgramResult
    public var description: String {
        let last = result.outputTail(includingStdout: false)
        return "\(command.joined(separator: " ")) exited with \(result.status)" + (last.isEmpty ? "" : ": \(last)")
    }
}

/// Runs helper programs (bwrap, rpmbuild, createrepo_c) and captures their output.
public enum Program {
    /// Runs `arguments[0]` (looked up in PATH) and returns its status and output.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil,
                           currentDirectory: String? = nil, input: Data? = nil) throws -> ProgramResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try? inPipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty program cannot fill one and block.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProgramResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a long job whose output is progress for the user: both its streams go to our
    /// stderr as they come. Returns its exit status.
    public static func runShowingOutput(_ arguments: [String], currentDirectory: String? = nil) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Like `run`, but a non-zero exit throws `ProgramFailure`.
    @discardableResult
    public static func check(_ arguments: [String], environment: [String: String]? = nil,
                             currentDirectory: String? = nil) throws -> ProgramResult {
        let result = try run(arguments, environment: environment, currentDirectory: currentDirectory)
        guard result.succeeded else { throw ProgramFailure(command: arguments, result: result) }
        return result
    }
}
