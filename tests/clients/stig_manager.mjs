// Parse report files with STIG Manager's own parser (@nuwcdivnpt/stig-manager-client-modules,
// the code STIG Manager's web client imports checklists and XCCDF with) and print what it read.
//
//   node tests/clients/stig_manager.mjs <reviewsFromXccdf|reviewsFromCklb|reviewsFromCkl> FILE...
//
// The package is found in $AUDITKIT_CLIENTS/node_modules (default .build/clients, where
// scripts/setup.sh installs tests/clients/package-lock.json). Prints one JSON array: per file
// {file, target, checklists: [{benchmarkId, revisionStr, reviews: [{ruleId, result, detail, comment}]}]}
// or {file, error}. Import options: STIG Manager's defaults, except that unreviewed results
// (error, notchecked) are imported as notchecked rather than dropped, so that every rule shows.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const clients = resolve(process.env.AUDITKIT_CLIENTS || fileURLToPath(new URL('../../.build/clients', import.meta.url)))
const parsers = await import(pathToFileURL(join(clients, 'node_modules', '@nuwcdivnpt', 'stig-manager-client-modules', 'index.js')))

const importOptions = {
  autoStatus: { fail: 'submitted', notapplicable: 'submitted', pass: 'submitted' },
  unreviewed: 'always',
  unreviewedCommented: 'informational',
  emptyDetail: 'replace',
  emptyComment: 'ignore',
  allowCustom: true
}
const fieldSettings = {
  detail: { enabled: 'always', required: 'always' },
  comment: { enabled: 'findings', required: 'findings' }
}

const [name, ...files] = process.argv.slice(2)
const parse = parsers[name]
if (typeof parse !== 'function') {
  console.error(`no parser ${name} in stig-manager-client-modules`)
  process.exit(2)
}
const out = []
for (const file of files) {
  try {
    const data = await readFile(file, 'utf8')
    const parsed = parse({ data, fieldSettings, allowAccept: true, importOptions, sourceRef: file })
    out.push({
      file,
      target: parsed.target,
      checklists: parsed.checklists.map(c => ({
        benchmarkId: c.benchmarkId,
        revisionStr: c.revisionStr,
        reviews: c.reviews.map(r => ({ ruleId: r.ruleId, result: r.result, detail: r.detail, comment: r.comment }))
      }))
    })
  } catch (e) {
    out.push({ file, error: String(e && e.message || e) })
  }
}
console.log(JSON.stringify(out, null, 1))
