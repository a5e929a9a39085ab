// Small pipeline files for tests that need a valid flow.yml but never run its components.

/** A valid two-component pipeline (a source and a sink fed by it) whose commands do nothing. */
export function idlePipelineYaml(name: string): string {
  return `apiVersion: flowctl/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  sources:
    - id: src
      command: ["node", "-e", "0"]
  sinks:
    - id: out
      command: ["node", "-e", "0"]
      inputs: [src]
`;
}
