import { describe, expect, it } from 'vitest';
import type { Unit } from '../../api/types';
import { agencyEditProblem, agencyEditRequest, agencyProblem, agencyRequest, dutyToggle, scheduleProblem, unitProblem, unitRequest, upsert, userProblem, userRequest, type UserForm } from './state';

const user: UserForm = {
  username: 'amb09',
  display_name: 'Kru AMB-09',
  role: 'responder',
  agency_id: 'dinkes',
  unit_id: 'u9',
  region_code: '',
  password: 'kuat-sekali-9',
  must_change_password: true,
};

describe('admin user form', () => {
  it('passes a complete responder and sends only the fields of its role', () => {
    expect(userProblem(user)).toBeNull();
    expect(userRequest(user)).toEqual({ username: 'amb09', display_name: 'Kru AMB-09', role: 'responder', password: 'kuat-sekali-9', must_change_password: true, agency_id: 'dinkes', unit_id: 'u9' });
    expect(userRequest({ ...user, role: 'supervisor', region_code: '21.71' })).toEqual({ username: 'amb09', display_name: 'Kru AMB-09', role: 'supervisor', password: 'kuat-sekali-9', must_change_password: true, region_code: '21.71' });
  });

  it('names the field the API would refuse, with the API limits', () => {
    expect(userProblem({ ...user, username: '' })?.field).toBe('username');
    expect(userProblem({ ...user, username: 'nama dengan spasi' })?.field).toBe('username');
    expect(userProblem({ ...user, username: 'a'.repeat(65) })?.field).toBe('username');
    expect(userProblem({ ...user, username: 'a'.repeat(64) })).toBeNull();
    expect(userProblem({ ...user, display_name: 'x'.repeat(101) })).toMatchObject({ field: 'display_name', key: 'admin.err_too_long' });
    expect(userProblem({ ...user, agency_id: '' })?.field).toBe('agency_id');
    expect(userProblem({ ...user, unit_id: '' })?.field).toBe('unit_id');
    expect(userProblem({ ...user, role: 'call_taker', agency_id: '', unit_id: '' })).toBeNull();
    expect(userProblem({ ...user, password: 'pendek' })).toMatchObject({ field: 'password', key: 'admin.err_password_short' });
    expect(userProblem({ ...user, password: 'AMB09-xx', username: 'amb09-xx' })).toMatchObject({ field: 'password', key: 'admin.err_password_username' });
  });
});

describe('admin unit and agency forms', () => {
  it('check a unit: agency, call sign of at most 32, both coordinates or none', () => {
    const unit = { agency_id: 'dinkes', call_sign: 'AMB-09', unit_type: 'ambulance', lon: '', lat: '' };
    expect(unitProblem(unit)).toBeNull();
    expect(unitRequest(unit)).toEqual({ agency_id: 'dinkes', call_sign: 'AMB-09', unit_type: 'ambulance' });
    expect(unitProblem({ ...unit, call_sign: ' ' })?.field).toBe('call_sign');
    expect(unitProblem({ ...unit, call_sign: 'X'.repeat(33) })).toMatchObject({ field: 'call_sign', params: { max: 32 } });
    expect(unitProblem({ ...unit, lon: '104.1' })?.field).toBe('position.lat');
    expect(unitProblem({ ...unit, lon: '200', lat: '1' })?.field).toBe('position.lon');
    expect(unitRequest({ ...unit, lon: '104.1', lat: '1.1' })).toMatchObject({ position: { lon: 104.1, lat: 1.1 } });
  });

  it('check an agency: code of at most 32, a region, and the API phone rule', () => {
    const agency = { code: 'DAMKAR-2', name: 'Damkar 2', agency_type: 'fire', region_code: '21.71', phone: '' };
    expect(agencyProblem(agency)).toBeNull();
    expect(agencyRequest(agency)).toEqual({ code: 'DAMKAR-2', name: 'Damkar 2', agency_type: 'fire', region_code: '21.71' });
    expect(agencyProblem({ ...agency, code: 'C'.repeat(33) })?.field).toBe('code');
    expect(agencyProblem({ ...agency, region_code: '' })?.field).toBe('region_code');
    expect(agencyProblem({ ...agency, phone: '0812-3456-7890' })).toBeNull();
    expect(agencyProblem({ ...agency, phone: '0812--34' })?.field).toBe('phone');
  });

  it('check an agency edit: a name, and a phone only when one is given', () => {
    const edit = { agency_id: 'dinkes', name: ' PSC 119 ', phone: '' };
    expect(agencyEditProblem(edit)).toBeNull();
    expect(agencyEditRequest(edit)).toEqual({ name: 'PSC 119' });
    expect(agencyEditRequest({ ...edit, phone: '0778 119' })).toEqual({ name: 'PSC 119', phone: '0778 119' });
    expect(agencyEditProblem({ ...edit, agency_id: '' })?.field).toBe('agency_id');
    expect(agencyEditProblem({ ...edit, name: '' })?.field).toBe('name');
    expect(agencyEditProblem({ ...edit, phone: 'x' })?.field).toBe('phone');
  });

  it('check that a schedule names its three columns', () => {
    expect(scheduleProblem('username,shift_start,shift_end\nop,2026-12-07 07:00,2026-12-07 15:00')).toBeNull();
    expect(scheduleProblem('\uFEFFShift_End,USERNAME,shift_start,time_zone\n')).toBeNull();
    expect(scheduleProblem('user,start,end')?.key).toBe('admin.err_csv_header');
    expect(scheduleProblem('  \n')?.key).toBe('admin.err_required');
  });
});

describe('admin lists', () => {
  it('switch a unit on or off duty only between the two manual statuses', () => {
    expect(dutyToggle('available')).toBe('out_of_service');
    expect(dutyToggle('out_of_service')).toBe('available');
    expect(dutyToggle('en_route')).toBeNull();
  });

  it('replace an item the server answered with, or add it', () => {
    const a = { id: 'a', call_sign: 'A' } as Unit;
    const b = { id: 'b', call_sign: 'B' } as Unit;
    expect(upsert([a], b)).toEqual([a, b]);
    expect(upsert([a, b], { ...a, call_sign: 'A2' })).toEqual([{ ...a, call_sign: 'A2' }, b]);
  });
});
