// The lab manifests: found in order, named by number, slug or folder, validated.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLab, LabManifestError, listLabs, readLab, readmeHeadings, UnknownLabError } from '../src/index.js';

describe('lab manifests', () => {
  it('lists the labs in order', () => {
    expect(listLabs().map((lab) => lab.id).slice(0, 3)).toEqual(['01', '02', '03']);
  });

  it.each(['1', '01', '01-create-identity', 'create-identity'])('finds lab 01 by %s', (input) => {
    expect(findLab(input).folder).toBe('01-create-identity');
  });

  it('names the labs when asked for one that does not exist', () => {
    expect(() => findLab('42')).toThrow(UnknownLabError);
    expect(() => findLab('42')).toThrow(/There is no lab "42"\. The labs are: 01 \(create-identity\), 02 \(grant-reader\)/);
  });

  it('rejects a manifest without hints, and one whose id does not match its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'milab-lab-'));
    try {
      const lab = join(dir, '09-example');
      mkdirSync(lab);
      const manifest = { id: '09', slug: 'example', title: 't', summary: 's', objectives: ['o'], certifications: [], dependsOn: [], hints: [] };
      writeFileSync(join(lab, 'lab.json'), JSON.stringify(manifest));
      expect(() => readLab(lab)).toThrow(LabManifestError);
      expect(() => readLab(lab)).toThrow(/"hints" must not be empty/);
      writeFileSync(join(lab, 'lab.json'), JSON.stringify({ ...manifest, id: '08', hints: ['h'] }));
      expect(() => readLab(lab)).toThrow(/must match the folder/);
      writeFileSync(join(lab, 'lab.json'), JSON.stringify({ ...manifest, hints: ['h'], runsOn: 'vm' }));
      expect(readLab(lab)).toMatchObject({ id: '09', runsOn: 'vm', setup: false });
      // The exams come from the objective lines; a listed set that disagrees is refused.
      const objectives = { examObjectives: ['AZ-500/a/b/c', 'AZ-104/d/e/f', 'AZ-500/g/h/i'] };
      writeFileSync(join(lab, 'lab.json'), JSON.stringify({ ...manifest, hints: ['h'], certifications: undefined, ...objectives }));
      expect(readLab(lab).certifications).toEqual(['AZ-104', 'AZ-500']);
      writeFileSync(join(lab, 'lab.json'), JSON.stringify({ ...manifest, hints: ['h'], certifications: ['AZ-204'], ...objectives }));
      expect(() => readLab(lab)).toThrow(/"certifications" \[AZ-204\] are not the exams of its "examObjectives" \[AZ-104, AZ-500\]: remove "certifications"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads README headings of level 2 and 3', () => {
    expect(readmeHeadings('# T\n## What you will learn\ntext\n### Portal\n#### deeper\n')).toEqual(['What you will learn', 'Portal']);
  });
});
