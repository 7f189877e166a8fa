import type { CodegenConfig } from "@graphql-codegen/cli";

// Types of every operation in src/, from the SDL the gateway exports (python -m gateway.sdl;
// gateway/tests/test_sdl.py keeps it equal to the running schema).
const config: CodegenConfig = {
  schema: "../gateway/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
