// A script: importing it bundles the command line to out/cli (see build-cli.mjs); it exports nothing.
export {};
