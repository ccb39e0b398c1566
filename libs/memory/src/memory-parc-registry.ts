import { byAge, type ParcRecord, type ParcRegistry } from '@parc/store';

/** The Parc record in memory. */
export class MemoryParcRegistry implements ParcRegistry {
  private readonly records = new Map<string, ParcRecord>();

  async list(): Promise<ParcRecord[]> {
    return [...this.records.values()].sort(byAge);
  }

  async put(record: ParcRecord): Promise<void> {
    this.records.set(record.id, { ...record });
  }

  async remove(id: string): Promise<boolean> {
    return this.records.delete(id);
  }
}
