// Loaded with `node --import` into a process a bench measures: when it exits, its peak resident
// set (getrusage maxrss, in MB) is written to the file PEAK_RSS_FILE names, so the bench learns it
// exactly, even from a process too short-lived to sample.
import { writeFileSync } from 'node:fs';

const file = process.env.PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(Math.round(process.resourceUsage().maxRSS / 1024))));
