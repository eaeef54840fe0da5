#!/usr/bin/env node
// The `corral` command. It imports the package by its own name, so inside the repository (node
// --conditions=@corral/source with tsx) it runs the TypeScript source, and installed it runs dist/.
import process from 'node:process';
import { main } from '@corral/cli';

process.exitCode = await main(process.argv.slice(2));
